import type { Readable } from 'node:stream'
import { ZhError } from '../../errors.js'

/**
 * Reads a request body into one Buffer, never holding more than `maxBytes`: a Content-Length
 * over the cap is refused before a byte is read, and a body that grows past it (chunked, or
 * lying about its length) is refused as soon as the cap is crossed; reading stops there. Both
 * are ZH_WEBHOOK_BODY_TOO_LARGE (413); an aborted body is ZH_WEBHOOK_BODY_INCOMPLETE (400).
 *
 * @example
 * ```ts
 * const raw = await readRawBody(req, req.headers['content-length'], 1024 * 1024)
 * ```
 */
export function readRawBody(
  stream: Readable,
  contentLength: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (contentLength !== undefined && Number(contentLength) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes))
  }
  if (stream.readableEnded) {
    return Promise.reject(new ZhError('ZH_WEBHOOK_BODY_NOT_RAW', 'the body was already read'))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (err?: ZhError): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (err) {
        // Stop pulling bytes; the answer closes the connection, so the rest is never read.
        stream.pause()
        reject(err)
      }
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) return stop(tooLarge(maxBytes))
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (cause: Error): void =>
      stop(new ZhError('ZH_WEBHOOK_BODY_INCOMPLETE', undefined, { cause }))
    const onClose = (): void => stop(new ZhError('ZH_WEBHOOK_BODY_INCOMPLETE', 'connection closed'))
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', onError)
    stream.once('close', onClose)
  })
}

const tooLarge = (maxBytes: number): ZhError =>
  new ZhError('ZH_WEBHOOK_BODY_TOO_LARGE', `over ${maxBytes} bytes`)
