import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { describeCode, isZhCode, type ZhCode } from '../errors.js'
import { createMemoryReplayStore } from './replay/memory.js'
import type { ReplayStore } from './replay/store.js'
import { expectCode } from './schemes/compliance.test-util.js'
import { signWebhook } from './sign.js'
import { verifyWebhook } from './verify.js'

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const ts = 1614265330
const body = Buffer.from('{"test": 2432232314}')
const good = signWebhook({ scheme: 'standard', secret, id, timestamp: ts, body })
const verify = (headers: Record<string, string>, more: object = {}) =>
  verifyWebhook({ scheme: 'standard', secret, headers, body, now: ts, ...more })
const without = (name: string) =>
  Object.fromEntries(Object.entries(good).filter(([k]) => k !== name))

describe('bad input: each has its own code', () => {
  it('missing headers', async () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      await expectCode(verify(without(name)), 'ZH_WEBHOOK_HEADER_MISSING')
    }
  })

  it('timestamp 1614265330abc', async () => {
    await expectCode(
      verify({ ...good, 'webhook-timestamp': '1614265330abc' }),
      'ZH_WEBHOOK_TIMESTAMP_INVALID',
    )
    for (const stamp of ['+1614265330', '1614265330.0', '1.6e9', ' ', '-1', '0x5f']) {
      await expect(verify({ ...good, 'webhook-timestamp': stamp })).rejects.toMatchObject({
        name: 'ZhError',
      })
    }
  })

  it('stale and future', async () => {
    await expectCode(verify(good, { now: ts + 301 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expectCode(verify(good, { now: ts - 301 }), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
  })

  it('oversize', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1)
    await expectCode(
      verifyWebhook({ scheme: 'standard', secret, headers: good, body: big }),
      'ZH_WEBHOOK_BODY_TOO_LARGE',
    )
  })

  it('wrong secret', async () => {
    await expectCode(
      verify(good, { secret: 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ==' }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('truncated signature', async () => {
    const sig = good['webhook-signature']!
    for (const cut of [sig.slice(0, -1), sig.slice(0, -4), sig.slice(0, 10)]) {
      await expectCode(
        verify({ ...good, 'webhook-signature': cut }),
        'ZH_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })

  it('unknown version only', async () => {
    const v9 = good['webhook-signature']!.replace('v1,', 'v9,')
    await expectCode(
      verify({ ...good, 'webhook-signature': v9 }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
  })

  it('unknown scheme, non-byte body, invalid options', async () => {
    await expectCode(
      verifyWebhook({ scheme: 'nope' as 'standard', secret, headers: good, body }),
      'ZH_WEBHOOK_SCHEME_UNKNOWN',
    )
    await expectCode(
      verifyWebhook({
        scheme: 'standard',
        secret,
        headers: good,
        body: JSON.parse('{}') as Uint8Array,
      }),
      'ZH_WEBHOOK_BODY_NOT_RAW',
    )
    await expectCode(verify(good, { tolerance: -1 }), 'ZH_WEBHOOK_OPTIONS_INVALID')
    await expectCode(verify(good, { maxBodyBytes: 1.5 }), 'ZH_WEBHOOK_OPTIONS_INVALID')
    await expectCode(verify(good, { now: Number.NaN }), 'ZH_WEBHOOK_OPTIONS_INVALID')
  })

  it('never echoes the secret in the error', async () => {
    const err = (await verify(good, { secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0MTIzNA==' }).catch(
      (e: unknown) => e,
    )) as Error
    expect(err.message).not.toContain('c2VjcmV0')
  })
})

describe('node:http headers', () => {
  // Node joins a repeated custom header with ", ": the comma check is what catches it.
  const receive = async (
    headers: Record<string, string | string[]>,
  ): Promise<IncomingHttpHeaders> => {
    let got: IncomingHttpHeaders = {}
    const server = createServer((req, res) => {
      got = req.headers
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', reject)
      req.end(body)
    })
    await new Promise<void>((resolve) => server.close(() => resolve()))
    return got
  }

  it('verifies headers as Node delivers them, and refuses a header sent twice', async () => {
    const received = await receive(good)
    await expect(verify(received as Record<string, string>)).resolves.toMatchObject({ id })
    const twice = await receive({ ...good, 'webhook-id': [id, id] })
    expect(twice['webhook-id']).toBe(`${id}, ${id}`)
    await expectCode(
      verifyWebhook({ scheme: 'standard', secret, headers: twice, body, now: ts }),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
  })
})

describe('statuses at the HTTP edge', () => {
  it('maps malformed to 400, signature and time to 401, replay to 409, size to 413', () => {
    const expected: Record<number, ZhCode[]> = {
      400: [
        'ZH_WEBHOOK_HEADER_MISSING',
        'ZH_WEBHOOK_HEADER_MALFORMED',
        'ZH_WEBHOOK_TIMESTAMP_INVALID',
        'ZH_WEBHOOK_BODY_INVALID',
      ],
      401: [
        'ZH_WEBHOOK_SIGNATURE_INVALID',
        'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
        'ZH_WEBHOOK_TIMESTAMP_STALE',
        'ZH_WEBHOOK_TIMESTAMP_FUTURE',
      ],
      409: ['ZH_WEBHOOK_REPLAYED'],
      413: ['ZH_WEBHOOK_BODY_TOO_LARGE'],
    }
    for (const [status, codes] of Object.entries(expected)) {
      for (const code of codes) {
        expect(isZhCode(code)).toBe(true)
        expect(describeCode(code).status).toBe(Number(status))
      }
    }
  })
})

describe('replay', () => {
  it('refuses a repeat; forgetting the keys accepts it again', async () => {
    const store = createMemoryReplayStore()
    const first = await verify(good, { replay: store })
    expect(first.replayKeys).toEqual([`standard:id:${id}`])
    await expectCode(verify(good, { replay: store }), 'ZH_WEBHOOK_REPLAYED')
    for (const key of first.replayKeys) await store.forget(key)
    await expect(verify(good, { replay: store })).resolves.toBeTruthy()
  })

  it('remembers at least until the message would go stale', async () => {
    const store = createMemoryReplayStore()
    await verify(good, { replay: { store, ttl: 1 } })
    await expectCode(
      verify(good, { now: ts + 300, replay: { store, ttl: 1 } }),
      'ZH_WEBHOOK_REPLAYED',
    )
  })

  it('keeps namespaces apart', async () => {
    const store = createMemoryReplayStore()
    await verify(good, { replay: { store, namespace: 'jenkins' } })
    await expect(verify(good, { replay: { store, namespace: 'ci' } })).resolves.toMatchObject({
      replayKeys: [`ci:standard:id:${id}`],
    })
  })

  it('fails closed when the store fails', async () => {
    const broken: ReplayStore = {
      checkAndRemember: () => Promise.reject(new Error('disk full')),
      forget: () => Promise.resolve(),
      close: () => Promise.resolve(),
    }
    await expectCode(verify(good, { replay: broken }), 'ZH_WEBHOOK_REPLAY_STORE_FAILED')
  })
})
