import { ZhError } from '../errors.js'

/** A parsed YAML value not yet trusted. */
export type Raw = unknown

/** A plain YAML mapping. */
export type RawMap = Record<string, unknown>

/** ZH_GATEWAY_CONFIG_INVALID naming the field, so the operator knows which line to fix. */
export const invalid = (field: string, why: string): ZhError =>
  new ZhError('ZH_GATEWAY_CONFIG_INVALID', `${field}: ${why}`)

/** A mapping with only the allowed keys: a typo (`alow:`) must not silently drop a guard. */
export function mapping(value: Raw, field: string, allowed: readonly string[]): RawMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(field, 'must be a mapping')
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalid(field === '(file)' ? key : `${field}.${key}`, 'unknown field')
    }
  }
  return value as RawMap
}

/** A non-empty string without control characters. */
export function text(value: Raw, field: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value === '' || /[\u0000-\u001f\u007f]/.test(value)) {
    throw invalid(field, 'must be a non-empty string')
  }
  return value
}

/** A whole number in [min, max], or `fallback` when absent. */
export function integer(
  value: Raw,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(field, `must be a whole number from ${min} to ${max}`)
  }
  return value as number
}

/** A list (a single item is not silently turned into one). */
export function list(value: Raw, field: string, minLength = 0): readonly Raw[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list')
  if (value.length < minLength) throw invalid(field, `needs at least ${minLength} item(s)`)
  return value
}

/** `host:port` or `[v6]:port`; port 0 asks the OS for a free one. */
export function hostPort(value: Raw, field: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(text(value, field))
  const port = Number(match?.[3])
  if (!match || port > 65535) throw invalid(field, 'must be HOST:PORT (port 0 for any free port)')
  return { host: (match[1] ?? match[2])!, port }
}
