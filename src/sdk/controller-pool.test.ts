import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ZhError } from '../errors.js'
import { ControllerClient } from './controller-client.js'
import {
  ControllerPool,
  controllerPool,
  isUnreachable,
  markAnswer,
  setFailoverTiming,
} from './controller-pool.js'
import {
  answerError,
  answerJson,
  closedUrl,
  startFakeController,
  type FakeController,
} from './controller-pool.test-util.js'
import { createTestNetwork, type TestNetwork } from './e2e/e2e.test-util.js'
import { loadIdentity, saveIdentity, type IdentityFile } from './identity-file.js'

const unreachable = () => new ZhError('ZH_CONNECT_FAILED', 'refused')

describe('ControllerPool', () => {
  afterEach(() => setFailoverTiming())

  it('puts the preferred URL first, deduplicates, and keeps at most 16', () => {
    const others = Array.from({ length: 20 }, (_, i) => `https://10.0.0.${i}:1280`)
    const pool = new ControllerPool('https://a:1/', ['https://a:1', ...others])
    expect(pool.urls()[0]).toBe('https://a:1')
    expect(pool.urls()).toHaveLength(16)
    expect(new Set(pool.urls()).size).toBe(16)
  })

  it('hands the turn to the next URL when the current one fails, and keeps the last good', () => {
    const pool = new ControllerPool('https://a:1', ['https://b:1', 'https://c:1'])
    expect(pool.current()).toBe('https://a:1')
    pool.failed('https://a:1')
    expect(pool.current()).toBe('https://b:1')
    // A caller still on the old URL does not move the turn again.
    pool.failed('https://a:1')
    expect(pool.current()).toBe('https://b:1')
    pool.failed('https://b:1')
    pool.failed('https://c:1')
    expect(pool.current()).toBe('https://a:1')
    pool.succeeded('https://c:1')
    expect(pool.current()).toBe('https://c:1')
  })

  it('puts what a controller names ahead of older knowledge, dropping the oldest past 16', () => {
    const old = Array.from({ length: 15 }, (_, i) => `https://old-${i}:1`)
    const pool = new ControllerPool('https://a:1', old)
    pool.learn(['https://new:1'])
    expect(pool.urls().slice(0, 2)).toEqual(['https://a:1', 'https://new:1'])
    expect(pool.urls()).toHaveLength(16)
    expect(pool.urls()).not.toContain('https://old-14:1')
  })

  it('fails over on unreachable errors only, an answer ends it', async () => {
    const pool = new ControllerPool('https://a:1', ['https://b:1'])
    const tried: string[] = []
    const answered = new ZhError('ZH_NAME_TAKEN', 'x')
    await expect(
      pool.run(async (url) => {
        tried.push(url)
        throw answered
      }),
    ).rejects.toBe(answered)
    expect(tried).toEqual(['https://a:1'])
    // An HTTP error without a code is an answer too, unless it is a gateway's 502/503/504.
    expect(isUnreachable(markAnswer(new ZhError('ZH_CONNECT_FAILED', 'HTTP 404')))).toBe(false)
    expect(isUnreachable(unreachable())).toBe(true)
    expect(isUnreachable(new ZhError('ZH_SERVER_IDENTITY_INVALID'))).toBe(true)
    expect(isUnreachable(new ZhError('ZH_STORE_UNAVAILABLE'))).toBe(true)
    expect(isUnreachable(new ZhError('ZH_STORE_SCHEMA_NEWER'))).toBe(false)
    expect(isUnreachable(new Error('plain'))).toBe(false)
  })

  it('gives up after its rounds with the last error, backing off between rounds', async () => {
    const pool = new ControllerPool('https://a:1', ['https://b:1'], {
      rounds: 3,
      backoffMinMs: 40,
      backoffMaxMs: 1_000,
    })
    const at: number[] = []
    const start = Date.now()
    const last = unreachable()
    const err = await pool
      .run(async () => {
        at.push(Date.now() - start)
        throw at.length === 6 ? last : unreachable()
      })
      .catch((e: unknown) => e)
    expect(err).toBe(last)
    expect(at).toHaveLength(6)
    // Jittered: 20-40 ms after the first round, 40-80 ms after the second.
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(19)
    expect(at[4]! - at[3]!).toBeGreaterThanOrEqual(39)
  })

  it('starts no attempt after its deadline', async () => {
    const pool = new ControllerPool('https://a:1', [], {
      rounds: 1_000,
      backoffMinMs: 10,
      backoffMaxMs: 10,
      deadlineMs: 150,
    })
    const start = Date.now()
    await expect(pool.run(async () => Promise.reject(unreachable()))).rejects.toMatchObject({
      code: 'ZH_CONNECT_FAILED',
    })
    expect(Date.now() - start).toBeLessThan(400)
  })

  it('is shared per identity and survives a renewal (a new object)', () => {
    const identity = { network: 'n', kind: 'endpoint', id: 'i', controller: 'https://a:1' } as const
    const pool = controllerPool(identity)
    expect(controllerPool({ ...identity, controllers: ['https://b:1'] })).toBe(pool)
    expect(pool.urls()).toEqual(['https://a:1', 'https://b:1'])
    expect(controllerPool({ ...identity, controller: 'https://b:1' })).not.toBe(pool)
  })
})

describe('ControllerClient over several controllers', () => {
  let network: TestNetwork
  let dir: string
  const started: FakeController[] = []
  let n = 0

  beforeAll(async () => {
    network = await createTestNetwork()
    dir = await mkdtemp(join(tmpdir(), 'zh-pool-'))
  })
  afterEach(async () => {
    setFailoverTiming()
    await Promise.all(started.splice(0).map((c) => c.close()))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  async function fake(handler: Parameters<typeof startFakeController>[1]) {
    const c = await startFakeController(network, handler)
    started.push(c)
    return c
  }
  const ok = () => fake((_req, res) => answerJson(res, { ok: true }))
  async function identityAt(controller: string, controllers?: string[]): Promise<IdentityFile> {
    // A fresh id each time: pools are shared per identity for the whole process.
    const identity = await network.identity(`client-${++n}`)
    return { ...identity, controller, ...(controllers ? { controllers } : {}) }
  }

  it('goes on to the second URL when the first is down, and starts there next time', async () => {
    const down = await closedUrl()
    const b = await ok()
    const identity = await identityAt(down, [down, b.url])
    expect(await new ControllerClient(identity).call('GET', '/v1/x')).toEqual({ ok: true })
    expect(b.hits).toEqual(['GET /v1/x'])
    expect(controllerPool(identity).current()).toBe(b.url)

    // The last good one first: a replica that answers 503 (no code) is not asked again.
    const flaky = await fake((_req, res) => answerError(res, 503))
    const c = await ok()
    const other = await identityAt(flaky.url, [flaky.url, c.url])
    await new ControllerClient(other).call('GET', '/v1/one')
    await new ControllerClient(other).call('GET', '/v1/two')
    expect(flaky.hits).toEqual(['GET /v1/one'])
    expect(c.hits).toEqual(['GET /v1/one', 'GET /v1/two'])
  })

  it('does not ask another controller when one answers with a ZH code or a plain 404', async () => {
    const a = await fake((_req, res) => answerError(res, 409, 'ZH_NAME_TAKEN'))
    const b = await ok()
    const identity = await identityAt(a.url, [a.url, b.url])
    await expect(
      new ControllerClient(identity).call('POST', '/v1/identities', { name: 'x' }),
    ).rejects.toMatchObject({ code: 'ZH_NAME_TAKEN' })

    const old = await fake((_req, res) => answerError(res, 404))
    const second = await identityAt(old.url, [old.url, b.url])
    await expect(new ControllerClient(second).call('GET', '/v1/new')).rejects.toMatchObject({
      code: 'ZH_CONNECT_FAILED',
    })
    expect(b.hits).toEqual([])
  })

  it('learns the replicas a controller names, ignores junk, and saves them', async () => {
    const b = await ok()
    const junk = [
      b.url,
      'http://127.0.0.1:1',
      'not a url',
      'https://127.0.0.1:2/path',
      'https://user:pw@127.0.0.1:3',
      `https://${'a'.repeat(300)}.example`,
    ].join(', ')
    const a = await fake((_req, res) => answerJson(res, { ok: true }, junk))
    const identity = await identityAt(a.url) // an older file: no `controllers`
    await new ControllerClient(identity).call('GET', '/v1/x')
    expect(controllerPool(identity).urls()).toEqual([a.url, b.url])

    // A restart reads the file: it knows both, so the first one going away costs nothing.
    const path = join(dir, 'learnt.json')
    await saveIdentity(path, identity)
    const saved = await loadIdentity(path)
    expect(saved.controllers).toEqual([a.url, b.url])
    await a.close()
    await new ControllerClient(saved).call('GET', '/v1/y')
    expect(b.hits).toEqual(['GET /v1/y'])
  })

  it('with every controller down, fails with ZH_CONNECT_FAILED in bounded time', async () => {
    setFailoverTiming({ rounds: 3, backoffMinMs: 20, backoffMaxMs: 40 })
    const urls = [await closedUrl(), await closedUrl()]
    const identity = await identityAt(urls[0]!, urls)
    const start = Date.now()
    await expect(new ControllerClient(identity).call('GET', '/v1/x')).rejects.toMatchObject({
      code: 'ZH_CONNECT_FAILED',
    })
    expect(Date.now() - start).toBeLessThan(2_000)
  })

  it('tries a --controller URL first, then the identity`s own', async () => {
    const own = await ok()
    const identity = await identityAt(own.url)
    const down = await closedUrl()
    await new ControllerClient(identity, down).call('GET', '/v1/x')
    expect(own.hits).toEqual(['GET /v1/x'])
  })
})
