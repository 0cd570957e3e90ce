import { readFile } from 'node:fs/promises'
import type { GrantsResponse } from '../controller/ops/grants.js'
import { writeSecretFile } from '../pki/files.js'
import { fingerprint } from '../pki/inspect.js'
import type { IdentityFile } from './identity-file.js'

/** Where an endpoint keeps the grants it last fetched, for its next start. */
export interface GrantCache {
  /** The cached grants of this certificate, if any are still fresh; never throws. */
  load(identity: IdentityFile, now?: number): Promise<GrantsResponse | undefined>
  /** Keeps `grants`, fetched now with `identity`'s certificate; failures are the caller's to log. */
  save(identity: IdentityFile, grants: GrantsResponse, now?: number): Promise<void>
}

/** Largest cache file read (grants for a few hundred services). */
const MAX_FILE = 1024 * 1024

interface CacheFile {
  version: 1
  /** SHA-256 fingerprint of the certificate the grants are bound to. */
  certificate: string
  /** When they were fetched, ms since the epoch. */
  fetchedAt: number
  grants: GrantsResponse
}

/**
 * A grant cache in one file (mode 0600, written atomically), by default next to the identity
 * file: a one-shot sender (`zerohook send`, a Lambda) then starts without a round trip to the
 * controller. The cache is used only for the certificate its grants are bound to, and only while
 * every grant in it is in the first half of its life, the same rule by which a running endpoint
 * refreshes; after that, or if the file is missing, unreadable or malformed, the endpoint fetches
 * as if there were none. Routers check every grant as always, so a stale cache can cost a
 * refused dial (which fetches fresh grants and tries again), never access.
 *
 * @example
 * ```ts
 * const zh = await connect(identity, { grantCache: fileGrantCache('ci.json.grants') })
 * ```
 */
export function fileGrantCache(path: string): GrantCache {
  return {
    async load(identity, now = Date.now()) {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch {
        return undefined
      }
      if (text.length > MAX_FILE) return undefined
      const file = parse(text)
      if (!file || file.certificate !== fingerprint(identity.certificate)) return undefined
      if (file.grants.identity.id !== identity.id) return undefined
      return fresh(file, now) ? file.grants : undefined
    },
    async save(identity, grants, now = Date.now()) {
      const file: CacheFile = {
        version: 1,
        certificate: fingerprint(identity.certificate),
        fetchedAt: now,
        grants,
      }
      await writeSecretFile(path, JSON.stringify(file))
    },
  }
}

/** Some grants, every one still in the first half of its life (fetched → expiry). */
function fresh(file: CacheFile, now: number): boolean {
  if (file.fetchedAt > now || file.grants.grants.length === 0) return false
  return file.grants.grants.every((g) => {
    const expires = Date.parse(g.expiresAt)
    return Number.isFinite(expires) && now < file.fetchedAt + (expires - file.fetchedAt) / 2
  })
}

function parse(text: string): CacheFile | undefined {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return undefined
  }
  const f = data as Partial<CacheFile> | null
  if (!f || f.version !== 1 || typeof f.certificate !== 'string') return undefined
  if (typeof f.fetchedAt !== 'number' || !isGrants(f.grants)) return undefined
  return f as CacheFile
}

function isGrants(g: unknown): g is GrantsResponse {
  const r = g as Partial<GrantsResponse> | null
  return (
    !!r &&
    typeof r.identity?.id === 'string' &&
    Array.isArray(r.grants) &&
    r.grants.every(
      (x) =>
        typeof x?.token === 'string' &&
        typeof x.expiresAt === 'string' &&
        typeof x.service?.name === 'string' &&
        typeof x.service.id === 'string' &&
        (x.action === 'dial' || x.action === 'bind'),
    ) &&
    Array.isArray(r.services) &&
    Array.isArray(r.routers) &&
    r.routers.every(
      (x) =>
        typeof x?.id === 'string' &&
        typeof x.name === 'string' &&
        (x.address === null || typeof x.address === 'string'),
    )
  )
}
