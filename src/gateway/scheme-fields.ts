import type { SchemeOptionValue, SchemeOptions } from '../webhooks/types.js'
import { invalid, text, type Raw } from './fields.js'
import { readSecret, type SourceContext } from './sources.js'

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

/**
 * A route's `options`, handed to its scheme as they are: a mapping of names to strings,
 * numbers, booleans or lists of strings (a string may come from `{ env }`, `{ file }` or
 * `{ value }`, for values that are secret). The scheme checks their meaning when it verifies.
 */
export function parseSchemeOptions(value: Raw, field: string, ctx: SourceContext): SchemeOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(field, 'must be a mapping of option names to values')
  }
  const options: Record<string, SchemeOptionValue> = {}
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    const at = `${field}.${name}`
    if (!NAME.test(name)) throw invalid(at, 'not an option name')
    options[name] = optionValue(item, at, ctx)
  }
  return options
}

function optionValue(value: Raw, field: string, ctx: SourceContext): SchemeOptionValue {
  if (typeof value === 'string') return text(value, field)
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, 'must be a finite number')
    return value
  }
  if (Array.isArray(value)) return value.map((item, i) => text(item, `${field}[${i}]`))
  if (value !== null && typeof value === 'object') return readSecret(value, field, ctx)
  throw invalid(
    field,
    'must be a string, number, boolean, list of strings or { env | file | value }',
  )
}

/**
 * A route's `url`: the public https URL the provider calls, up to the gateway's route path (the
 * origin, and any prefix a proxy in front strips). The request's path and query are appended to
 * it for the schemes that sign the URL (Twilio, HubSpot, Square). Kept without a trailing slash.
 */
export function parsePublicUrl(value: Raw, field: string): string {
  const raw = text(value, field)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalid(field, 'must be an absolute URL (https://hooks.example.com)')
  }
  if (url.protocol !== 'https:') throw invalid(field, 'must be an https URL')
  if (/[?#]/.test(raw) || url.username || url.password) {
    throw invalid(field, 'must hold no query, fragment or credentials: the request adds its own')
  }
  // As written (the provider signs the URL it was given), not as URL would normalize it.
  return raw.replace(/\/+$/, '')
}
