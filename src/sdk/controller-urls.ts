/**
 * The header in which a controller names the base URLs of every live replica, comma-separated
 * (`https://10.0.0.1:1280,https://10.0.0.2:1280`). Older controllers do not send it.
 */
export const CONTROLLERS_HEADER = 'zerohook-controllers'

/** At most this many controller URLs are kept, in memory and in an identity file. */
export const MAX_CONTROLLERS = 16

/** Longest controller URL accepted. */
export const MAX_CONTROLLER_URL = 300

/**
 * The canonical form (`https://host:port`) of a controller base URL, or undefined when it is not
 * one: not https, longer than {@link MAX_CONTROLLER_URL}, or carrying credentials, a path, a
 * query or a fragment (every request path is absolute, so any of those would be dropped or a
 * sign of a mistake). The canonical form is what lists are deduplicated by.
 *
 * @example
 * controllerOrigin('https://127.0.0.1:1280/') // 'https://127.0.0.1:1280'
 * controllerOrigin('http://127.0.0.1:1280') // undefined
 */
export function controllerOrigin(text: string): string | undefined {
  if (text.length === 0 || text.length > MAX_CONTROLLER_URL) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || url.username || url.password) return undefined
  if (url.pathname !== '/' || url.search || url.hash) return undefined
  return url.origin
}

/**
 * The controller URLs a {@link CONTROLLERS_HEADER} value names, canonical and deduplicated.
 * Junk entries are skipped and entries past the sixteenth are not read: the header only ever
 * adds candidates, so a bad one must not cost the good ones.
 *
 * @example
 * parseControllersHeader('https://a:1, ftp://b, https://c:2') // ['https://a:1', 'https://c:2']
 */
export function parseControllersHeader(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  // Node joins a repeated header of unknown name with ', '; an array would be the same list.
  const text = Array.isArray(value) ? value.join(',') : value
  const entries = text.split(',', MAX_CONTROLLERS).map((s) => s.trim())
  return orderControllers(undefined, entries)
}

/**
 * One ordered list of controller URLs: `preferred` first (kept as given when it is not a valid
 * URL, so that the request made with it fails with the error it always did), then the valid
 * entries of `lists` in order, deduplicated, at most {@link MAX_CONTROLLERS} in all.
 */
export function orderControllers(
  preferred: string | undefined,
  ...lists: readonly (readonly string[])[]
): string[] {
  const out: string[] = preferred === undefined ? [] : [controllerOrigin(preferred) ?? preferred]
  for (const list of lists) {
    for (const entry of list) {
      if (out.length >= MAX_CONTROLLERS) return out
      const origin = typeof entry === 'string' ? controllerOrigin(entry) : undefined
      if (origin !== undefined && !out.includes(origin)) out.push(origin)
    }
  }
  return out
}
