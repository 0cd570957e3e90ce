import { ZhError } from '../../errors.js'
import { sortedUnique } from './order.js'

/** Names and attributes share one charset, so every name and attribute can be written as a role. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** At most this many attributes on one entity (and roles on one side of a policy). */
export const MAX_ATTRIBUTES = 64

/**
 * `#all` selects every entity, so an attribute called `all` could never be selected on its own;
 * it is refused rather than silently shadowed.
 */
export const RESERVED_ATTRIBUTE = 'all'

/** True when `text` is a valid name or attribute (1-64 characters of `[A-Za-z0-9._-]`, not starting with `.`, `_` or `-`). */
export function isName(text: unknown): text is string {
  return typeof text === 'string' && NAME.test(text)
}

/**
 * Returns `name` unchanged when it is a valid entity or policy name, else throws `ZH_NAME_INVALID`.
 *
 * @example
 * checkName('jenkins-webhook') // 'jenkins-webhook'
 * checkName('-x')              // throws ZhError ZH_NAME_INVALID
 */
export function checkName(name: string): string {
  if (!isName(name)) throw new ZhError('ZH_NAME_INVALID', describe(name))
  return name
}

/**
 * Validates role attributes and returns them deduplicated and sorted, so equal sets store equally.
 * Throws `ZH_ATTRIBUTE_INVALID` on a bad attribute, on `all` (reserved for `#all`), or on more
 * than {@link MAX_ATTRIBUTES} distinct attributes.
 *
 * @example
 * checkAttributes(['ci', 'build', 'ci']) // ['build', 'ci']
 * checkAttributes(['has space'])         // throws ZhError ZH_ATTRIBUTE_INVALID
 */
export function checkAttributes(attrs: string[]): string[] {
  if (!Array.isArray(attrs)) throw new ZhError('ZH_ATTRIBUTE_INVALID', 'attributes must be a list')
  for (const attr of attrs as unknown[]) {
    if (!isName(attr)) throw new ZhError('ZH_ATTRIBUTE_INVALID', describe(attr))
    if (attr === RESERVED_ATTRIBUTE) {
      throw new ZhError(
        'ZH_ATTRIBUTE_INVALID',
        `"${RESERVED_ATTRIBUTE}" is reserved for the role #all`,
      )
    }
  }
  const unique = sortedUnique(attrs)
  if (unique.length > MAX_ATTRIBUTES) {
    throw new ZhError(
      'ZH_ATTRIBUTE_INVALID',
      `${unique.length} attributes, at most ${MAX_ATTRIBUTES}`,
    )
  }
  return unique
}

/** A short, safe rendering of bad input for an error detail (never the whole of a huge string). */
export function describe(value: unknown): string {
  if (typeof value !== 'string')
    return `expected a string, got ${value === null ? 'null' : typeof value}`
  const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value
  return JSON.stringify(shown)
}
