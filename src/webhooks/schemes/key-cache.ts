import { ZhError, isZhError } from '../../errors.js'
import type { KeyFetcher, KeyRequest } from '../types.js'

/**
 * Calls a fetcher; anything but a ZhError it throws (a custom fetcher's own error) becomes
 * ZH_WEBHOOK_KEY_UNAVAILABLE, so a scheme only ever rejects with ZH_WEBHOOK_* codes.
 */
export async function fetchKeyText(fetcher: KeyFetcher, request: KeyRequest): Promise<string> {
  let text: unknown
  try {
    text = await fetcher(request)
  } catch (cause) {
    if (isZhError(cause)) throw cause
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', new URL(request.url).host, { cause })
  }
  if (typeof text !== 'string') {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${new URL(request.url).host}: not text`)
  }
  return text
}

/** Key material a loader fetched, and the Unix second from which it must be fetched again. */
export interface Cached<T> {
  readonly value: T
  readonly expiresAt: number
}

/** Fetched key material, remembered per fetcher and per URL or key id. */
export interface KeyCache<T> {
  /** The cached value of `key`, or what `load` resolves (remembered until it expires). */
  get(fetcher: KeyFetcher, key: string, now: number, load: () => Promise<Cached<T>>): Promise<T>
  /** When `key` was last loaded (Unix seconds), or undefined when it is not cached. */
  loadedAt(fetcher: KeyFetcher, key: string): number | undefined
  forget(fetcher: KeyFetcher, key: string): void
}

interface Entry<T> {
  readonly loadedAt: number
  readonly loaded: Promise<Cached<T>>
}

/**
 * A bounded cache of fetched keys: at most `maxEntries` per fetcher (the oldest goes first), each
 * until its expiry. Entries are kept per fetcher so that a test's or a tenant's fetcher never sees
 * another's keys; requests for one key while it loads share the fetch; a failed fetch is forgotten.
 */
export function createKeyCache<T>(maxEntries: number): KeyCache<T> {
  const byFetcher = new WeakMap<KeyFetcher, Map<string, Entry<T>>>()
  const entriesOf = (fetcher: KeyFetcher): Map<string, Entry<T>> => {
    let entries = byFetcher.get(fetcher)
    if (!entries) byFetcher.set(fetcher, (entries = new Map<string, Entry<T>>()))
    return entries
  }

  const start = (
    entries: Map<string, Entry<T>>,
    key: string,
    now: number,
    load: () => Promise<Cached<T>>,
  ) => {
    const entry: Entry<T> = { loadedAt: now, loaded: load() }
    entry.loaded.catch(() => {
      if (entries.get(key) === entry) entries.delete(key)
    })
    entries.delete(key)
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next()
      if (oldest.done) break
      entries.delete(oldest.value)
    }
    entries.set(key, entry)
    return entry
  }

  return {
    async get(fetcher, key, now, load) {
      const entries = entriesOf(fetcher)
      const entry = entries.get(key) ?? start(entries, key, now, load)
      const cached = await entry.loaded
      if (cached.expiresAt > now) return cached.value
      const current = entries.get(key)
      const fresh =
        current === entry || current === undefined ? start(entries, key, now, load) : current
      return (await fresh.loaded).value
    },
    loadedAt: (fetcher, key) => byFetcher.get(fetcher)?.get(key)?.loadedAt,
    forget(fetcher, key) {
      byFetcher.get(fetcher)?.delete(key)
    },
  }
}
