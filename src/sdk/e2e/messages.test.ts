import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { MAX_MESSAGE, MessageReader, encodeMessage } from './messages.js'

const frame = (length: number, body: number[]) => {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(length)
  return Buffer.concat([header, Buffer.from(body)])
}

describe('grant-exchange messages', () => {
  it('round-trip byte by byte and leave what follows the verdict unread', async () => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream)
    const bytes = Buffer.concat([
      encodeMessage({ type: 'grant', grant: 'eyJ.grant.sig' }),
      encodeMessage({ type: 'ok' }),
      Buffer.from('POST /hook HTTP/1.1\r\n'),
    ])
    for (const byte of bytes) stream.write(Buffer.from([byte]))
    expect(await reader.next()).toEqual({ type: 'grant', grant: 'eyJ.grant.sig' })
    expect(await reader.next()).toEqual({ type: 'ok' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(String(stream.read())).toBe('POST /hook HTTP/1.1\r\n')
  })

  it('queue a refusal that arrives before anyone asks, even if the stream then ends', async () => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream)
    stream.end(
      Buffer.concat([
        encodeMessage({ type: 'grant', grant: 'g' }),
        encodeMessage({ type: 'refuse', code: 'ZH_E2E_WRONG_SERVICE' }),
      ]),
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(await reader.next()).toMatchObject({ type: 'grant' })
    expect(await reader.next()).toEqual({ type: 'refuse', code: 'ZH_E2E_WRONG_SERVICE' })
  })

  it.each([
    ['an oversized length', frame(MAX_MESSAGE + 1, [1]), 'ZH_E2E_PROTOCOL'],
    ['the largest u32 length', frame(0xffffffff, [1]), 'ZH_E2E_PROTOCOL'],
    ['a zero length', frame(0, []), 'ZH_E2E_PROTOCOL'],
    ['an unknown type', frame(2, [9, 0]), 'ZH_E2E_PROTOCOL'],
    ['an ok with a body', frame(2, [2, 65]), 'ZH_E2E_PROTOCOL'],
    ['a message cut by the end', frame(10, [1, 65]), 'ZH_E2E_HANDSHAKE_FAILED'],
    ['a header cut by the end', Buffer.from([0, 0]), 'ZH_E2E_HANDSHAKE_FAILED'],
  ])('refuse %s', async (_what, bytes, code) => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream)
    stream.end(bytes)
    await expect(reader.next()).rejects.toMatchObject({ code })
  })

  it('refuse to encode a grant over the limit', () => {
    expect(() => encodeMessage({ type: 'grant', grant: 'x'.repeat(MAX_MESSAGE) })).toThrow(
      expect.objectContaining({ code: 'ZH_E2E_PROTOCOL' }),
    )
  })
})
