import type { Readable } from 'node:stream'
import { ZhError, isZhError } from '../../errors.js'

/** Largest grant-exchange message body (type byte included). */
export const MAX_MESSAGE = 8 * 1024

/**
 * The grant exchange inside the end-to-end TLS channel. Each side sends `grant` first, then its
 * verdict on the other's grant: `ok`, or `refuse` with a `ZH_E2E_*` code.
 */
export type E2eMessage =
  { type: 'grant'; grant: string } | { type: 'ok' } | { type: 'refuse'; code: string }

const GRANT = 1
const OK = 2
const REFUSE = 3

/**
 * Frames a message: u32 big-endian length, then a type byte and a UTF-8 body.
 *
 * @example
 * socket.write(encodeMessage({ type: 'grant', grant: token }))
 */
export function encodeMessage(message: E2eMessage): Buffer {
  const [type, body] =
    message.type === 'grant'
      ? [GRANT, message.grant]
      : message.type === 'ok'
        ? [OK, '']
        : [REFUSE, message.code]
  const bytes = Buffer.from(body, 'utf8')
  if (bytes.length + 1 > MAX_MESSAGE) {
    throw new ZhError('ZH_E2E_PROTOCOL', `message of ${bytes.length} bytes is over the limit`)
  }
  const frame = Buffer.allocUnsafe(5 + bytes.length)
  frame.writeUInt32BE(1 + bytes.length, 0)
  frame[4] = type
  bytes.copy(frame, 5)
  return frame
}

function decode(body: Buffer): E2eMessage {
  const text = body.subarray(1).toString('utf8')
  switch (body[0]) {
    case GRANT:
      return { type: 'grant', grant: text }
    case OK:
      if (text !== '') break
      return { type: 'ok' }
    case REFUSE:
      return { type: 'refuse', code: text }
  }
  throw new ZhError('ZH_E2E_PROTOCOL', `unexpected message type ${body[0]}`)
}

/**
 * Reads the peer's grant-exchange messages from a stream in paused mode, as soon as they arrive,
 * until its verdict (`ok` or `refuse`), the last message a peer sends. Each message is taken with
 * `read(n)`, exactly its bytes: whatever the peer sent after its verdict stays buffered in the
 * stream, intact, for the application. Reading ahead means a refusal is seen even when the peer
 * closes right behind it.
 */
export class MessageReader {
  private readonly queue: E2eMessage[] = []
  private failure: Error | undefined
  private stopped = false
  private waiter: { resolve(m: E2eMessage): void; reject(err: Error): void } | undefined
  /** Body length of the message being read, once its header was taken. */
  private length: number | undefined

  constructor(private readonly stream: Readable) {
    stream.on('readable', this.pump)
    stream.on('end', this.ended)
    stream.on('close', this.ended)
    stream.on('error', this.errored)
    this.pump()
  }

  /** The next message; rejects with ZH_E2E_PROTOCOL or ZH_E2E_HANDSHAKE_FAILED. */
  next(): Promise<E2eMessage> {
    const message = this.queue.shift()
    if (message) return Promise.resolve(message)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  private readonly pump = (): void => {
    try {
      for (let m = this.tryRead(); m; m = this.tryRead()) {
        if (m.type !== 'grant') this.stop()
        this.deliver(m)
      }
    } catch (err) {
      this.fail(err as Error)
    }
  }

  private readonly ended = (): void =>
    this.fail(new ZhError('ZH_E2E_HANDSHAKE_FAILED', 'the peer closed during the grant exchange'))

  // A zerohook code (the overlay resetting the circuit) is kept: it says more than ours would.
  private readonly errored = (err: Error): void =>
    this.fail(
      isZhError(err) ? err : new ZhError('ZH_E2E_HANDSHAKE_FAILED', err.message, { cause: err }),
    )

  private deliver(message: E2eMessage): void {
    const waiter = this.waiter
    this.waiter = undefined
    if (waiter) waiter.resolve(message)
    else this.queue.push(message)
  }

  private fail(err: Error): void {
    this.stop()
    this.failure ??= err
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.reject(this.failure)
  }

  private stop(): void {
    this.stopped = true
    this.stream.off('readable', this.pump)
    this.stream.off('end', this.ended)
    this.stream.off('close', this.ended)
    this.stream.off('error', this.errored)
  }

  private tryRead(): E2eMessage | undefined {
    if (this.stopped) return undefined
    if (this.length === undefined) {
      const header = this.take(4)
      if (!header) return undefined
      const length = header.readUInt32BE(0)
      if (length === 0 || length > MAX_MESSAGE) {
        throw new ZhError('ZH_E2E_PROTOCOL', `message length ${length} is out of bounds`)
      }
      this.length = length
    }
    const body = this.take(this.length)
    if (!body) return undefined
    this.length = undefined
    return decode(body)
  }

  /** Exactly `n` bytes, or undefined while fewer are buffered. */
  private take(n: number): Buffer | undefined {
    const chunk = this.stream.read(n) as Buffer | null
    if (chunk === null) return undefined
    // At the end of the stream read(n) returns what is left, even when shorter.
    if (chunk.length < n) {
      throw new ZhError('ZH_E2E_HANDSHAKE_FAILED', 'the peer closed during the grant exchange')
    }
    return chunk
  }
}
