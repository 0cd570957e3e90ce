import { ZhError } from '../errors.js'

/** A request as captured: what `zerohook verify` reads from a file or standard input. */
export interface CapturedRequest {
  readonly method: string
  /** The request target as sent: `/path?query`, or a whole URL (a proxy's absolute form). */
  readonly target: string
  /** Each header under its name as sent; a name sent twice keeps both values. */
  readonly headers: Readonly<Record<string, readonly string[]>>
  readonly body: Buffer
  /** Bytes after a Content-Length body (an editor's final newline, say), not part of the body. */
  readonly ignoredBytes: number
  /** True when the body arrived chunked and was decoded. */
  readonly chunked: boolean
}

/** Limits of {@link parseCapturedRequest}. */
export interface CaptureLimits {
  /** Largest body, in bytes. */
  readonly maxBodyBytes: number
  /** Largest request line plus headers, in bytes; default 64 KiB. */
  readonly maxHeaderBytes?: number
}

/** Default largest request line plus headers of a captured request (64 KiB). */
export const DEFAULT_MAX_HEAD_BYTES = 64 * 1024
const MAX_HEADERS = 256

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(1\.[01])$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

const invalid = (detail: string): ZhError => new ZhError('ZH_VERIFY_REQUEST_INVALID', detail)

/**
 * Parses a raw HTTP/1.1 request (request line, headers, a blank line, the body), with CRLF or
 * bare LF line ends. The body is what Content-Length says, a chunked body is decoded, and with
 * neither it is the rest of the input. Anything ambiguous (both Content-Length and
 * Transfer-Encoding, two different lengths, a folded header) is refused, not guessed.
 *
 * @example
 * ```ts
 * const request = parseCapturedRequest(readFileSync('request.http'), { maxBodyBytes: 1 << 20 })
 * await verifyWebhook({ scheme: 'github', secret, headers: request.headers, body: request.body })
 * ```
 */
export function parseCapturedRequest(input: Buffer, limits: CaptureLimits): CapturedRequest {
  const maxHead = limits.maxHeaderBytes ?? DEFAULT_MAX_HEAD_BYTES
  let at = 0
  // A blank line or two before the request line is tolerated (RFC 9112, 2.2).
  while (at < 4 && (input[at] === 0x0d || input[at] === 0x0a)) at++
  const lines: string[] = []
  for (;;) {
    const end = input.indexOf(0x0a, at)
    if (end === -1 || end > maxHead) {
      if (end === -1 && input.length <= maxHead) {
        throw invalid('no blank line ends the headers: the capture is cut short')
      }
      throw new ZhError('ZH_VERIFY_REQUEST_TOO_LARGE', `the headers are over ${maxHead} bytes`)
    }
    const line = input.toString('latin1', at, input[end - 1] === 0x0d ? end - 1 : end)
    at = end + 1
    if (line === '') break
    lines.push(line)
  }
  const [requestLine, ...fields] = lines
  if (requestLine === undefined) throw invalid('the input is empty')
  const match = REQUEST_LINE.exec(requestLine)
  if (!match) {
    throw invalid(`line 1 is not "METHOD /path HTTP/1.1": ${preview(requestLine)}`)
  }
  const headers = parseFields(fields)
  const rest = input.subarray(at)
  const { body, ignoredBytes, chunked } = readBody(headers, rest, limits.maxBodyBytes)
  return { method: match[1]!, target: match[2]!, headers, body, ignoredBytes, chunked }
}

function parseFields(fields: readonly string[]): Record<string, string[]> {
  if (fields.length > MAX_HEADERS) throw invalid(`more than ${MAX_HEADERS} headers`)
  const headers: Record<string, string[]> = Object.create(null) as Record<string, string[]>
  fields.forEach((line, index) => {
    const where = `header line ${index + 2}`
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw invalid(`${where} is folded onto the one before (obs-fold): join it to that line`)
    }
    const colon = line.indexOf(':')
    const name = line.slice(0, colon)
    if (colon <= 0 || !TOKEN.test(name)) {
      throw invalid(`${where} is not "Name: value": ${preview(line)}`)
    }
    const value = line.slice(colon + 1).trim()
    if (!FIELD_VALUE.test(value)) throw invalid(`${where} (${name}) holds a control character`)
    ;(headers[name] ??= []).push(value)
  })
  return headers
}

function readBody(
  headers: Record<string, string[]>,
  rest: Buffer,
  maxBody: number,
): { body: Buffer; ignoredBytes: number; chunked: boolean } {
  const lengths = valuesOf(headers, 'content-length')
  const codings = valuesOf(headers, 'transfer-encoding')
  if (codings.length > 0) {
    if (lengths.length > 0) {
      throw invalid(
        'both Transfer-Encoding and Content-Length: which one framed the body is unclear',
      )
    }
    const list = codings.flatMap((v) => v.split(',')).map((c) => c.trim().toLowerCase())
    if (list.length !== 1 || list[0] !== 'chunked') {
      throw invalid(
        `Transfer-Encoding ${codings.join(', ')} is not supported: save the decoded body with a Content-Length`,
      )
    }
    return { ...decodeChunked(rest, maxBody), chunked: true }
  }
  if (lengths.length === 0) {
    if (rest.length > maxBody) throw tooLarge(maxBody)
    return { body: rest, ignoredBytes: 0, chunked: false }
  }
  const distinct = new Set(lengths.flatMap((v) => v.split(',')).map((v) => v.trim()))
  const [text, ...others] = distinct
  if (others.length > 0) throw invalid(`Content-Length is given twice, differently`)
  if (!/^[0-9]{1,15}$/.test(text!))
    throw invalid(`Content-Length ${preview(text!)} is not a length`)
  const length = Number(text)
  if (length > maxBody) throw tooLarge(maxBody)
  if (rest.length < length) {
    throw invalid(
      `the body is ${rest.length} bytes but Content-Length says ${length}: the capture is cut short`,
    )
  }
  return { body: rest.subarray(0, length), ignoredBytes: rest.length - length, chunked: false }
}

// RFC 9112, 7.1: `size[;ext]` CRLF data CRLF ..., then `0` CRLF, trailers, CRLF.
function decodeChunked(rest: Buffer, maxBody: number): { body: Buffer; ignoredBytes: number } {
  const chunks: Buffer[] = []
  let size = 0
  let at = 0
  for (;;) {
    const end = rest.indexOf(0x0a, at)
    if (end === -1 || end - at > 1024) throw invalid('a chunk size line is missing or too long')
    const line = rest.toString('latin1', at, rest[end - 1] === 0x0d ? end - 1 : end)
    const sizeText = line.split(';')[0]!.trim()
    if (!/^[0-9A-Fa-f]{1,8}$/.test(sizeText)) {
      throw invalid(`chunk size ${preview(sizeText)} is not hexadecimal`)
    }
    const chunkSize = parseInt(sizeText, 16)
    at = end + 1
    if (chunkSize === 0) break
    size += chunkSize
    if (size > maxBody) throw tooLarge(maxBody)
    if (at + chunkSize > rest.length) throw invalid('a chunk is cut short')
    chunks.push(rest.subarray(at, at + chunkSize))
    at += chunkSize
    if (rest[at] === 0x0d) at++
    if (rest[at] !== 0x0a) throw invalid('a chunk does not end with a line break')
    at++
  }
  // Trailer fields, up to the blank line that ends the message.
  for (;;) {
    const end = rest.indexOf(0x0a, at)
    if (end === -1) throw invalid('the chunked body does not end with a blank line')
    const blank = end === at || (end === at + 1 && rest[at] === 0x0d)
    at = end + 1
    if (blank) break
  }
  return { body: Buffer.concat(chunks), ignoredBytes: rest.length - at }
}

function valuesOf(headers: Record<string, string[]>, lower: string): string[] {
  return Object.keys(headers)
    .filter((name) => name.toLowerCase() === lower)
    .flatMap((name) => headers[name]!)
}

function tooLarge(maxBody: number): ZhError {
  return new ZhError(
    'ZH_VERIFY_REQUEST_TOO_LARGE',
    `the body is over ${maxBody} bytes (--max-body)`,
  )
}

function preview(text: string): string {
  const clean = text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')
  return JSON.stringify(text.length > 60 ? `${clean}...` : clean)
}
