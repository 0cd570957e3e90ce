import { ZhError } from '../errors.js'
import type { HeadersInput } from './types.js'

/** Default longest header value, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 4096

/** Case-insensitive, limit-checked access to the headers a scheme reads. */
export interface HeaderReader {
  /** The single value of `name`, or undefined; a repeat (or a comma when `noComma`) is malformed. */
  optional(name: string, opts?: { noComma?: boolean }): string | undefined
  /** Like `optional`, but a missing header throws ZH_WEBHOOK_HEADER_MISSING. */
  required(name: string, opts?: { noComma?: boolean }): string
  has(name: string): boolean
}

/**
 * Normalizes Node or fetch headers into a reader. Names are lower-cased; the same name given
 * twice (an array value, or two spellings in one object) is kept as two values, so a scheme
 * can refuse it as a duplicate.
 */
export function readHeaders(input: HeadersInput, maxBytes: number): HeaderReader {
  const values = collect(input)
  const optional = (name: string, opts?: { noComma?: boolean }): string | undefined => {
    const found = values.get(name.toLowerCase())
    if (found === undefined || found.length === 0) return undefined
    for (const value of found) {
      if (Buffer.byteLength(value) > maxBytes) {
        throw new ZhError('ZH_WEBHOOK_HEADER_TOO_LARGE', `${name} is over ${maxBytes} bytes`)
      }
    }
    if (found.length > 1) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} is duplicated`)
    const value = found[0]!.trim()
    if (opts?.noComma && value.includes(',')) {
      throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} is duplicated (comma-joined)`)
    }
    return value
  }
  return {
    optional,
    required(name, opts) {
      const value = optional(name, opts)
      if (value === undefined || value === '') throw new ZhError('ZH_WEBHOOK_HEADER_MISSING', name)
      return value
    },
    has: (name) => (values.get(name.toLowerCase())?.length ?? 0) > 0,
  }
}

function collect(input: HeadersInput): Map<string, string[]> {
  const values = new Map<string, string[]>()
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase()
    const list = values.get(key)
    if (list) list.push(value)
    else values.set(key, [value])
  }
  if (typeof input !== 'object' || input === null) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'headers must be an object or a Headers')
  }
  if (isFetchHeaders(input)) {
    input.forEach((value, name) => add(name, value))
    return values
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value as readonly string[]) add(name, String(v))
    else add(name, String(value))
  }
  return values
}

function isFetchHeaders(
  input: HeadersInput,
): input is Extract<HeadersInput, { get(name: string): string | null }> {
  return (
    typeof (input as { get?: unknown }).get === 'function' && typeof input.forEach === 'function'
  )
}
