import type { Duplex } from 'node:stream'
import { createMemoryPair } from '../../../wire/memory-pair.js'
import { HEADER_LENGTH, isTlsContentType } from './format.js'
import { DIALER_SECRET_LABEL, HOSTER_SECRET_LABEL } from './keylog.js'
import { TrafficKey } from './keys.js'
import { Opener } from './open.js'

/** One unit of a circuit's byte stream: a TLS record (the handshake) or one of ours. */
export interface Unit {
  kind: 'tls' | 'record'
  bytes: Buffer
}

/**
 * Cuts one direction's bytes into units, as a relay that knows the format would: TLS records
 * (5-byte header) up to the first byte that is not a TLS type, then our records (3-byte header).
 * Returns the complete units and the bytes left over.
 */
export function cutUnits(bytes: Buffer): { units: Unit[]; rest: Buffer } {
  const units: Unit[] = []
  let off = 0
  let inRecords = false
  while (off < bytes.length) {
    inRecords ||= !isTlsContentType(bytes[off]!)
    const header = inRecords ? HEADER_LENGTH : 5
    if (bytes.length - off < header) break
    const length = bytes.readUInt16BE(off + header - 2)
    if (bytes.length - off < header + length) break
    units.push({
      kind: inRecords ? 'record' : 'tls',
      bytes: bytes.subarray(off, off + header + length),
    })
    off += header + length
  }
  return { units, rest: bytes.subarray(off) }
}

/** The record secrets a `keylog` hook reported (each end logs both; the last pair wins). */
export function secretsOf(lines: string[]): { dialer: Buffer; hoster: Buffer } {
  const find = (label: string) => {
    const line = lines.filter((l) => l.startsWith(`${label} `)).at(-1)
    if (!line) throw new Error(`no ${label} in the key log`)
    return Buffer.from(line.trim().split(' ')[2]!, 'hex')
  }
  return { dialer: find(DIALER_SECRET_LABEL), hoster: find(HOSTER_SECRET_LABEL) }
}

/**
 * Decrypts the records of one captured direction with its logged secret, as anyone holding the
 * key log could: the plaintext, whether the END record came, and the number of TLS records that
 * came before the records (the stream must hold nothing else).
 */
export function openCapture(
  chunks: Buffer[],
  secret: Buffer,
  recordsPerKey?: number,
): { plaintext: Buffer; ended: boolean; tlsRecords: number } {
  const { units, rest } = cutUnits(Buffer.concat(chunks))
  if (rest.length > 0) throw new Error(`${rest.length} bytes are no whole unit`)
  const firstRecord = units.findIndex((u) => u.kind === 'record')
  if (units.slice(firstRecord).some((u) => u.kind === 'tls')) throw new Error('TLS after records')
  const opener = new Opener(new TrafficKey(secret, recordsPerKey))
  const out: Buffer[] = []
  let ended = false
  const sink = { data: (b: Buffer) => out.push(b), end: () => (ended = true) }
  for (const unit of units.slice(firstRecord)) opener.open(unit.bytes, sink)
  return { plaintext: Buffer.concat(out), ended, tlsRecords: firstRecord }
}

/**
 * What a tampering relay does with one of our records: the bytes to send instead, or `{ cut }`:
 * send those, then end that direction at once.
 */
export type Tamper = (record: Buffer, index: number) => Buffer[] | { cut: Buffer[] }

/**
 * A relay between the dialer (`dialerEnd`) and the hoster (`hosterEnd`) that sees every byte
 * and cuts it into units: TLS records pass as they are, each of our records going to the hoster
 * passes through `toHoster` (and to the dialer through `toDialer`), which may alter, drop,
 * repeat, reorder (by holding one back) or cut the stream.
 */
export function tamperingRelay(hooks: { toHoster?: Tamper; toDialer?: Tamper }): {
  dialerEnd: Duplex
  hosterEnd: Duplex
} {
  const left = createMemoryPair()
  const right = createMemoryPair()
  forward(left.b, right.a, hooks.toHoster)
  forward(right.a, left.b, hooks.toDialer)
  return { dialerEnd: left.a, hosterEnd: right.b }
}

function forward(from: Duplex, to: Duplex, tamper: Tamper | undefined): void {
  let pending = Buffer.alloc(0)
  let index = 0
  let cut = false
  from.on('error', () => to.destroy())
  to.on('error', () => from.destroy())
  from.on('data', (chunk: Buffer) => {
    if (cut) return
    const { units, rest } = cutUnits(Buffer.concat([pending, chunk]))
    pending = Buffer.from(rest)
    for (const unit of units) {
      if (unit.kind === 'tls' || !tamper) {
        to.write(unit.bytes)
        continue
      }
      const out = tamper(unit.bytes, index++)
      if (Array.isArray(out)) {
        for (const b of out) to.write(b)
        continue
      }
      for (const b of out.cut) to.write(b)
      cut = true
      to.end()
      return
    }
  })
  from.on('end', () => {
    if (!cut) to.end()
  })
}

/** A copy of `bytes` with bit `bit` of byte `at` flipped. */
export function flipBit(bytes: Buffer, at: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes)
  copy[at]! ^= 1 << bit
  return copy
}

/** Size of a TLS record holding one `ok` message: header, 5-byte message, content type, tag. */
const OK_RECORD = 5 + 5 + 1 + 16

/**
 * A relay that passes everything unchanged, except that it holds back one end's `ok` (the TLS
 * record of its size) and sends it in one chunk with whatever that end sends next: so its last
 * TLS record and its first record reach the other end in one chunk. `mixed()` counts the chunks
 * that held both. (That end must write as soon as its handshake is through: the other end needs
 * the `ok` to finish its own.)
 */
export function okHoldingRelay(from: 'dialer' | 'hoster'): {
  dialerEnd: Duplex
  hosterEnd: Duplex
  mixed(): number
} {
  const left = createMemoryPair()
  const right = createMemoryPair()
  let mixed = 0
  const join = (from: Duplex, to: Duplex, hold: boolean) => {
    let pending = Buffer.alloc(0)
    let held: Buffer | undefined
    from.on('data', (chunk: Buffer) => {
      const { units, rest } = cutUnits(Buffer.concat([pending, chunk]))
      pending = Buffer.from(rest)
      for (const unit of units) {
        if (hold && !held && unit.kind === 'tls' && unit.bytes.length === OK_RECORD) {
          held = unit.bytes
          continue
        }
        if (held && unit.kind === 'record') mixed++
        to.write(held ? Buffer.concat([held, unit.bytes]) : unit.bytes)
        held = undefined
      }
    })
  }
  join(left.b, right.a, from === 'dialer')
  join(right.a, left.b, from === 'hoster')
  return { dialerEnd: left.a, hosterEnd: right.b, mixed: () => mixed }
}
