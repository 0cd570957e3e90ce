import type { Duplex } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { e2eDial } from './dial.js'
import { SERVICE, createTestNetwork, destroyedSoon } from './e2e.test-util.js'
import { createE2eHost } from './host.js'
import { DATA, END, HEADER_LENGTH } from './records/format.js'
import { flipBit, tamperingRelay, type Tamper } from './records/records.test-util.js'
import type { E2eLocal } from './types.js'

/**
 * A relay that sees every byte and alters our records after an honest handshake: whatever it
 * does, the receiving end resets the circuit with a ZH_E2E_* code and hands the application
 * nothing the sender did not send, in the order it sent it.
 */
let dialer: E2eLocal
let hoster: E2eLocal

beforeAll(async () => {
  const net = await createTestNetwork()
  const d = await net.identity('ci-job')
  const h = await net.identity('jenkins')
  dialer = { identity: d, grant: await net.grant(d, 'dial') }
  hoster = { identity: h, grant: await net.grant(h, 'bind') }
})

async function connectThrough(hooks: { toHoster?: Tamper; toDialer?: Tamper }) {
  const relay = tamperingRelay(hooks)
  const host = createE2eHost(hoster, SERVICE)
  const [h, d] = await Promise.all([
    host.accept(relay.hosterEnd),
    e2eDial(relay.dialerEnd, dialer, { serviceName: SERVICE.name }),
  ])
  host.close()
  return { d, h, relay }
}

/** Writes each text as a write of its own (one record each), waiting for each to go out. */
async function send(socket: Duplex, texts: string[], end = true): Promise<void> {
  for (const t of texts) await new Promise((resolve) => socket.write(t, resolve))
  if (end) socket.end()
}

/** Everything a socket delivers until it ends or fails: the text, and 'end' or the code. */
function outcome(socket: Duplex): Promise<{ text: string; how: string }> {
  let text = ''
  socket.on('data', (c: Buffer) => (text += c.toString()))
  return new Promise((resolve) => {
    socket.once('end', () => resolve({ text, how: 'end' }))
    socket.once('error', (err: Error & { code?: string }) =>
      resolve({ text, how: String(err.code) }),
    )
  })
}

/** The dialer sends three records and ends; `tamper` works on what goes to the hoster. */
async function tamperToHoster(tamper: Tamper) {
  const { d, h, relay } = await connectThrough({ toHoster: tamper })
  const result = outcome(h.socket)
  d.socket.on('error', () => undefined)
  await send(d.socket, ['one ', 'two ', 'three'])
  return { ...(await result), relay, h: h.socket }
}

const replace = (at: number, by: (r: Buffer) => Buffer[]): Tamper => {
  return (record, index) => (index === at ? by(record) : [record])
}

describe('a relay that alters the records', () => {
  it('passes honest records through (the relay itself changes nothing)', async () => {
    expect(await tamperToHoster((r) => [r])).toMatchObject({ text: 'one two three', how: 'end' })
  })

  // Record 0 is 'one ', record 3 the END.
  it.each([
    ['a bit of the ciphertext', 0, (r: Buffer) => flipBit(r, HEADER_LENGTH + 1), ''],
    ['a bit of the tag', 0, (r: Buffer) => flipBit(r, r.length - 1, 7), ''],
    [
      'the type of the END record (relabelled as data)',
      3,
      (r: Buffer) => Buffer.from([DATA, ...r.subarray(1)]),
      'one two three',
    ],
  ])(
    'flipping %s: ZH_E2E_RECORD_INVALID, nothing of it delivered',
    async (_what, at, flip, text) => {
      const r = await tamperToHoster(replace(at, (rec) => [flip(rec)]))
      expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_INVALID', text })
      // The circuit was reset, not left open.
      expect(await destroyedSoon(r.relay.hosterEnd)).toBe(true)
    },
  )

  it.each([
    ['a length past the limit', (r: Buffer) => Buffer.from([DATA, 0xff, 0xff, ...r.subarray(3)])],
    ['a TLS record after the switch', (r: Buffer) => Buffer.from([23, 3, 3, ...r.subarray(1)])],
    ['an unknown type', (r: Buffer) => Buffer.from([0x7f, ...r.subarray(1)])],
  ])('%s: ZH_E2E_RECORD_MALFORMED', async (_what, mangle) => {
    const r = await tamperToHoster(replace(1, (rec) => [mangle(rec)]))
    expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_MALFORMED', text: 'one ' })
  })

  it('reordering two records: ZH_E2E_RECORD_INVALID, neither delivered', async () => {
    let first: Buffer | undefined
    const r = await tamperToHoster((record, index) => {
      if (index === 0) return ((first = record), [])
      if (index === 1) return [record, first!]
      return [record]
    })
    expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_INVALID', text: '' })
  })

  it('replaying a record: ZH_E2E_RECORD_INVALID, the original delivered once', async () => {
    const r = await tamperToHoster(replace(0, (rec) => [rec, rec]))
    expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_INVALID', text: 'one ' })
  })

  it('dropping a record: ZH_E2E_RECORD_INVALID at the next one', async () => {
    const r = await tamperToHoster(replace(1, () => []))
    expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_INVALID', text: 'one ' })
  })

  it('dropping the END record and ending: ZH_E2E_TRUNCATED, not a clean end', async () => {
    const r = await tamperToHoster((record, index) => (index === 3 ? { cut: [] } : [record]))
    expect(r).toMatchObject({ how: 'ZH_E2E_TRUNCATED', text: 'one two three' })
  })

  it('cutting the stream inside a record: ZH_E2E_TRUNCATED', async () => {
    const r = await tamperToHoster((record, index) =>
      index === 2 ? { cut: [record.subarray(0, 9)] } : [record],
    )
    expect(r).toMatchObject({ how: 'ZH_E2E_TRUNCATED', text: 'one two ' })
  })

  it('a record of another circuit (another key): ZH_E2E_RECORD_INVALID', async () => {
    let foreign: Buffer | undefined
    const other = await tamperToHoster((record, index) => {
      if (index === 0) foreign = record
      return [record]
    })
    expect(other.how).toBe('end')
    const r = await tamperToHoster(replace(0, () => [foreign!]))
    expect(r).toMatchObject({ how: 'ZH_E2E_RECORD_INVALID', text: '' })
  })

  it('the hoster’s records are checked the same way by the dialer', async () => {
    const { d, h } = await connectThrough({
      toDialer: replace(0, (rec) => [flipBit(rec, HEADER_LENGTH)]),
    })
    const result = outcome(d.socket)
    h.socket.on('error', () => undefined)
    await send(h.socket, ['answer'])
    expect(await result).toEqual({ text: '', how: 'ZH_E2E_RECORD_INVALID' })
  })
})

describe('an honest relay', () => {
  it('sees nothing but whole TLS records, then whole records, each way', async () => {
    const seen: Buffer[] = []
    const { d, h } = await connectThrough({
      toHoster: (r) => (seen.push(r), [r]),
      toDialer: (r) => (seen.push(r), [r]),
    })
    const atHost = outcome(h.socket)
    const atDialer = outcome(d.socket)
    await Promise.all([send(d.socket, ['up']), send(h.socket, ['down'])])
    expect(await atHost).toEqual({ text: 'up', how: 'end' })
    expect(await atDialer).toEqual({ text: 'down', how: 'end' })
    // One data record and one END each way, and nothing else after the TLS records.
    expect(seen.map((r) => r[0]).sort()).toEqual([DATA, DATA, END, END])
  })
})
