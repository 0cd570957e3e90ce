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
  const valuesOf = lookup(input)
  const optional = (name: string, opts?: { noComma?: boolean }): string | undefined => {
    const found = valuesOf(name.toLowerCase())
    if (found === undefined || found.length === 0) return undefined
    for (const value of found) {
      // A UTF-16 code unit is at most 3 bytes of UTF-8: most values need no count.
      if (value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes) {
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
    has: (name) => (valuesOf(name.toLowerCase())?.length ?? 0) > 0,
  }
}

// A scheme reads two or three of a request's headers: a plain object is searched per name
// (no copy of all of them per request, a third of a 1 KiB GitHub verify's overhead); Headers
// are collected once, on the first read.
function lookup(input: HeadersInput): (lower: string) => string[] | undefined {
  if (typeof input !== 'object' || input === null) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'headers must be an object or a Headers')
  }
  if (isFetchHeaders(input)) {
    let values: Map<string, string[]> | undefined
    return (lower) => (values ??= collect(input)).get(lower)
  }
  let names: string[] | undefined
  return (lower) => {
    let found: string[] | undefined
    for (const name of (names ??= Object.keys(input))) {
      if (name.length !== lower.length || (name !== lower && name.toLowerCase() !== lower)) continue
      const value = input[name]
      if (value === undefined) continue
      found ??= []
      if (Array.isArray(value)) for (const v of value as readonly string[]) found.push(String(v))
      else found.push(String(value))
    }
    return found
  }
}

function collect(input: Extract<HeadersInput, { get(name: string): string | null }>) {
  const values = new Map<string, string[]>()
  input.forEach((value, name) => {
    const key = name.toLowerCase()
    const list = values.get(key)
    if (list) list.push(value)
    else values.set(key, [value])
  })
  return values
}

function isFetchHeaders(
  input: HeadersInput,
): input is Extract<HeadersInput, { get(name: string): string | null }> {
  return (
    typeof (input as { get?: unknown }).get === 'function' && typeof input.forEach === 'function'
  )
}
