import { createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { codeOfSync } from '../../../errors.test-util.js'
import { DATA, END, HEADER_LENGTH, MAX_PLAINTEXT, OVERHEAD, TAG_LENGTH } from './format.js'
import { TrafficKey, recordKeys } from './keys.js'
import { Opener } from './open.js'
import { Sealer } from './seal.js'
import { cutUnits, flipBit } from './records.test-util.js'

/** A sealer and an opener of one direction, keyed alike. */
function direction(recordsPerKey?: number, secret = randomBytes(32)) {
  return {
    sealer: new Sealer(new TrafficKey(secret, recordsPerKey)),
    opener: new Opener(new TrafficKey(secret, recordsPerKey)),
  }
}

/** Feeds `bytes` to the opener in pieces of `step` bytes; what came out, and whether END did. */
function openAll(opener: Opener, bytes: Buffer, step = bytes.length) {
  const out: Buffer[] = []
  let ended = false
  const sink = { data: (b: Buffer) => out.push(b), end: () => (ended = true) }
  for (let i = 0; i < bytes.length; i += step) opener.open(bytes.subarray(i, i + step), sink)
  return { plaintext: Buffer.concat(out), ended, pieces: out.length }
}

/** The code opening `bytes` throws, and the plaintext that came out before it. */
function openFailure(opener: Opener, bytes: Buffer) {
  const out: Buffer[] = []
  const sink = { data: (b: Buffer) => out.push(b), end: () => undefined }
  const code = codeOfSync(() => opener.open(bytes, sink))
  return { code, plaintext: Buffer.concat(out) }
}

const records = (bytes: Buffer) => cutUnits(bytes).units.map((u) => u.bytes)

describe('records: seal and open', () => {
  it('round-trip writes of any shape, cut anywhere on the way', () => {
    const { sealer, opener } = direction()
    const chunks = [randomBytes(1), randomBytes(0), randomBytes(70_000), randomBytes(300)]
    const total = chunks.reduce((n, c) => n + c.length, 0)
    const sealed = Buffer.concat([sealer.seal(chunks, total), sealer.end()])
    // 70,301 bytes: three records of at most 32 KiB, then END.
    expect(sealed.length).toBe(total + 4 * OVERHEAD)
    expect(records(sealed).map((r) => r[0])).toEqual([DATA, DATA, DATA, END])
    for (const step of [1, 2, 7, 3 + 16, 16_384, sealed.length]) {
      const again = direction(undefined, Buffer.alloc(32, 9))
      const bytes = Buffer.concat([again.sealer.seal(chunks, total), again.sealer.end()])
      const opened = openAll(again.opener, bytes, step)
      expect(opened.plaintext.equals(Buffer.concat(chunks))).toBe(true)
      expect(opened.ended).toBe(true)
    }
    expect(openAll(opener, sealed).ended).toBe(true)
  })

  it('fills records up to the limit and never past it', () => {
    const { sealer } = direction()
    const sealed = sealer.seal([randomBytes(MAX_PLAINTEXT * 2 + 1)], MAX_PLAINTEXT * 2 + 1)
    const lengths = records(sealed).map((r) => r.readUInt16BE(1) - TAG_LENGTH)
    expect(lengths).toEqual([MAX_PLAINTEXT, MAX_PLAINTEXT, 1])
  })

  it('never hands out the plaintext of a record whose tag fails', () => {
    const { sealer, opener } = direction()
    const sealed = sealer.seal([Buffer.from('transfer 100 to alice')], 21)
    const flipped = flipBit(sealed, HEADER_LENGTH + 3)
    // Fed byte by byte, all the ciphertext is deciphered before the tag comes: none may leave.
    const out: Buffer[] = []
    const sink = { data: (b: Buffer) => out.push(b), end: () => undefined }
    const code = codeOfSync(() => {
      for (const byte of flipped) opener.open(Buffer.from([byte]), sink)
    })
    expect(code).toBe('ZH_E2E_RECORD_INVALID')
    expect(out).toEqual([])
  })

  it.each([
    ['a bit of the ciphertext', HEADER_LENGTH + 5],
    ['a bit of the tag', HEADER_LENGTH + 21 + 3],
  ])('rejects %s flipped', (_what, at) => {
    const { sealer, opener } = direction()
    const sealed = sealer.seal([randomBytes(21)], 21)
    expect(openFailure(opener, flipBit(sealed, at)).code).toBe('ZH_E2E_RECORD_INVALID')
  })

  it('authenticates the header: an END relabelled as empty data fails its tag', () => {
    const { sealer, opener } = direction()
    const end = sealer.end()
    expect(openFailure(opener, Buffer.from([DATA, ...end.subarray(1)])).code).toBe(
      'ZH_E2E_RECORD_INVALID',
    )
  })

  it.each([
    ['an unknown type', (r: Buffer) => Buffer.from([0x99, ...r.subarray(1)])],
    ['a TLS record (application data)', (r: Buffer) => Buffer.from([23, ...r.subarray(1)])],
    ['a length past the limit', (r: Buffer) => Buffer.from([DATA, 0xff, 0xff, ...r.subarray(3)])],
    ['a length shorter than the tag', (r: Buffer) => Buffer.from([DATA, 0, 15, ...r.subarray(3)])],
    ['an END with plaintext', (r: Buffer) => Buffer.from([END, ...r.subarray(1)])],
  ])('refuses %s at once, before reading its body', (_what, mangle) => {
    const { sealer, opener } = direction()
    const header = mangle(sealer.seal([randomBytes(100)], 100)).subarray(0, HEADER_LENGTH)
    expect(openFailure(opener, header).code).toBe('ZH_E2E_RECORD_MALFORMED')
  })

  it('refuses anything after the END record, and stays failed', () => {
    const { sealer, opener } = direction()
    const end = sealer.end()
    const after = sealer.seal([Buffer.from('late')], 4)
    expect(openFailure(opener, Buffer.concat([end, after])).code).toBe('ZH_E2E_RECORD_MALFORMED')
    expect(openFailure(opener, after).code).toBe('ZH_E2E_RECORD_MALFORMED')
  })

  it('detects a replayed record, and delivers the original once', () => {
    const { sealer, opener } = direction()
    const [first] = records(sealer.seal([Buffer.from('pay once')], 8))
    const r = openFailure(opener, Buffer.concat([first!, first!]))
    expect(r).toEqual({ code: 'ZH_E2E_RECORD_INVALID', plaintext: Buffer.from('pay once') })
  })

  it('detects reordered and dropped records', () => {
    const make = () => {
      const d = direction(undefined, Buffer.alloc(32, 1))
      const sealed = ['one', 'two', 'three'].map((t) => d.sealer.seal([Buffer.from(t)], t.length))
      return { opener: d.opener, sealed }
    }
    const reordered = make()
    const [a, b] = reordered.sealed
    expect(openFailure(reordered.opener, Buffer.concat([b!, a!]))).toEqual({
      code: 'ZH_E2E_RECORD_INVALID',
      plaintext: Buffer.alloc(0),
    })
    const dropped = make()
    expect(
      openFailure(dropped.opener, Buffer.concat([dropped.sealed[0]!, dropped.sealed[2]!])),
    ).toEqual({ code: 'ZH_E2E_RECORD_INVALID', plaintext: Buffer.from('one') })
  })

  it('rejects records sealed under another key, and the other direction’s', () => {
    const exported = randomBytes(64)
    const dialer = recordKeys(Buffer.from(exported), 'dialer')
    const hoster = recordKeys(Buffer.from(exported), 'hoster')
    const sealed = new Sealer(dialer.send).seal([Buffer.from('hello')], 5)
    // The hoster opens what the dialer sent; the dialer's own receive key does not.
    expect(openAll(new Opener(hoster.receive), Buffer.from(sealed)).plaintext.toString()).toBe(
      'hello',
    )
    expect(openFailure(new Opener(dialer.receive), sealed).code).toBe('ZH_E2E_RECORD_INVALID')
    expect(openFailure(direction().opener, sealed).code).toBe('ZH_E2E_RECORD_INVALID')
  })
})

describe('records: key updates', () => {
  it('move both ends to the next key every n records, across writes', () => {
    const { sealer, opener } = direction(3)
    const sent: Buffer[] = []
    const sealed: Buffer[] = []
    for (let i = 0; i < 10; i++) {
      const chunk = randomBytes(10 + i)
      sent.push(chunk)
      sealed.push(sealer.seal([chunk], chunk.length))
    }
    sealed.push(sealer.end())
    const opened = openAll(opener, Buffer.concat(sealed), 5)
    expect(opened.plaintext.equals(Buffer.concat(sent))).toBe(true)
    expect(opened.ended).toBe(true)
  })

  it('really change the key: an end that does not update fails at the first record after', () => {
    const secret = randomBytes(32)
    const sealer = new Sealer(new TrafficKey(secret, 3))
    const stale = new Opener(new TrafficKey(secret, 1000))
    const bytes = Buffer.concat(
      ['a', 'b', 'c', 'd'].map((t) => sealer.seal([Buffer.from(t)], t.length)),
    )
    expect(openFailure(stale, bytes)).toEqual({
      code: 'ZH_E2E_RECORD_INVALID',
      plaintext: Buffer.from('abc'),
    })
  })

  it('follow the key schedule, checked against a reference written from the spec', () => {
    // T(1) of HKDF-Expand: HMAC-SHA256(secret, "zerohook e2e " + label | 0x01).
    const expand = (secret: Buffer, label: string) =>
      createHmac('sha256', secret).update(`zerohook e2e ${label}\x01`, 'latin1').digest()
    const open = (secret: Buffer, seq: number, record: Buffer) => {
      const iv = expand(secret, 'iv').subarray(0, 12)
      iv.writeUInt32BE((iv.readUInt32BE(8) ^ seq) >>> 0, 8)
      const d = createDecipheriv('aes-256-gcm', expand(secret, 'key'), iv)
      d.setAAD(record.subarray(0, HEADER_LENGTH))
      d.setAuthTag(record.subarray(-TAG_LENGTH))
      const plaintext = d.update(record.subarray(HEADER_LENGTH, -TAG_LENGTH))
      d.final()
      return plaintext.toString()
    }
    const secret0 = randomBytes(32)
    const secret1 = expand(secret0, 'traffic upd')
    const secret2 = expand(secret1, 'traffic upd')
    const sealer = new Sealer(new TrafficKey(secret0, 3))
    const sealed = [...'abcdefg'].map((t) => sealer.seal([Buffer.from(t)], 1))
    // Records 0-2 under the first secret, 3-5 under the next (numbered from 0), 6 the third.
    const opened = sealed.map((r, i) =>
      open([secret0, secret1, secret2][Math.floor(i / 3)]!, i % 3, r),
    )
    expect(opened.join('')).toBe('abcdefg')
  })

  it('never use a nonce twice under a key, across key updates', () => {
    const key = new TrafficKey(randomBytes(32), 3)
    const seen = new Set<string>()
    for (let i = 0; i < 30; i++) {
      const nonce = key.nextNonce().toString('hex')
      seen.add(`${key.key.export().toString('hex')}/${nonce}`)
    }
    expect(seen.size).toBe(30)
  })

  it('never repeat a nonce under one key', () => {
    const key = new TrafficKey(randomBytes(32), 2 ** 32)
    const seen = new Set<string>()
    for (let i = 0; i < 5000; i++) seen.add(key.nextNonce().toString('hex'))
    expect(seen.size).toBe(5000)
  })
})
