import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GrantsResponse } from '../controller/ops/grants.js'
import { createTestNetwork } from './e2e/e2e.test-util.js'
import { fileGrantCache } from './grant-cache.js'
import type { IdentityFile } from './identity-file.js'

const T0 = Date.parse('2026-12-03T12:00:00Z')
const MIN = 60_000

function grantsOf(identity: IdentityFile, lifetimesMs: number[]): GrantsResponse {
  return {
    identity: { id: identity.id, name: identity.name, attributes: [] },
    grants: lifetimesMs.map((ms, i) => ({
      service: { id: `svc-${i}`, name: `service-${i}` },
      action: 'dial',
      token: `token-${i}`,
      expiresAt: new Date(T0 + ms).toISOString(),
    })),
    services: [],
    routers: [{ id: 'r1', name: 'r1', address: '127.0.0.1:1' }],
  }
}

describe('fileGrantCache', () => {
  let dir: string
  let identity: IdentityFile
  let renewed: IdentityFile
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zh-grant-cache-'))
    const network = await createTestNetwork()
    identity = await network.identity('ci-job')
    // Same identity, another certificate (as after a renewal).
    renewed = { ...identity, certificate: (await network.identity('ci-job')).certificate }
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('gives back what it kept, from a file only its owner can read', async () => {
    const path = join(dir, 'a.grants')
    const cache = fileGrantCache(path)
    const grants = grantsOf(identity, [15 * MIN, 15 * MIN])
    await cache.save(identity, grants, T0)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await cache.load(identity, T0 + MIN)).toEqual(grants)
  })

  it('keeps grants for the first half of the shortest life only', async () => {
    const cache = fileGrantCache(join(dir, 'b.grants'))
    await cache.save(identity, grants(identity), T0)
    expect(await cache.load(identity, T0 + 5 * MIN - 1)).toBeDefined()
    expect(await cache.load(identity, T0 + 5 * MIN)).toBeUndefined()
    // A clock that went back past the fetch is not trusted either.
    expect(await cache.load(identity, T0 - 1)).toBeUndefined()
    function grants(id: IdentityFile) {
      return grantsOf(id, [10 * MIN, 15 * MIN])
    }
  })

  it('is not used for another certificate, even of the same identity', async () => {
    const cache = fileGrantCache(join(dir, 'c.grants'))
    await cache.save(identity, grantsOf(identity, [15 * MIN]), T0)
    expect(await cache.load(renewed, T0 + MIN)).toBeUndefined()
  })

  it('holds nothing when there were no grants', async () => {
    const cache = fileGrantCache(join(dir, 'd.grants'))
    await cache.save(identity, grantsOf(identity, []), T0)
    expect(await cache.load(identity, T0 + 1)).toBeUndefined()
  })

  it('ignores a missing, malformed, oversized or tampered file', async () => {
    const path = join(dir, 'e.grants')
    const cache = fileGrantCache(path)
    expect(await cache.load(identity, T0)).toBeUndefined()
    for (const text of ['not json', 'null', '{"version":2}', 'x'.repeat(2 * 1024 * 1024)]) {
      await writeFile(path, text)
      expect(await cache.load(identity, T0)).toBeUndefined()
    }
    await cache.save(identity, grantsOf(identity, [15 * MIN]), T0)
    const kept = JSON.parse(await readFile(path, 'utf8')) as { grants: GrantsResponse }
    kept.grants.routers = [{ id: 'r1', name: 'r1', address: 42 as unknown as string }]
    await writeFile(path, JSON.stringify(kept))
    expect(await cache.load(identity, T0 + MIN)).toBeUndefined()
  })
})
