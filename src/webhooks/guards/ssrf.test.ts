import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpTransport } from '../sender/transport.js'
import { createSsrfGuard, type Resolver } from './ssrf.js'
import { certificateFor } from './tls.test-util.js'

const answers: Record<string, string[]> = {
  'public.test': ['93.184.215.14'],
  'internal.test': ['10.0.0.7'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['93.184.215.14', '192.168.1.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'local.test': ['127.0.0.1'],
  'six.test': ['fd00:ec2::254'],
}
const resolver: Resolver = (name) => {
  const found = answers[name]
  if (!found) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }))
  return Promise.resolve(
    found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  )
}

describe('SSRF guard', () => {
  const guard = createSsrfGuard({ resolve: resolver })

  it('refuses names that resolve to private, metadata, mapped or unique-local addresses', async () => {
    for (const name of [
      'internal.test',
      'metadata.test',
      'mixed.test',
      'mapped.test',
      'local.test',
      'six.test',
    ]) {
      await expect(guard.resolve(name), name).rejects.toMatchObject({
        code: 'ZH_SENDER_ADDRESS_BLOCKED',
      })
    }
    await expect(guard.resolve('public.test')).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    })
    await expect(guard.resolve('nowhere.test')).rejects.toMatchObject({
      code: 'ZH_SENDER_CONNECT_FAILED',
    })
  })

  it('checks IP literals too, bracketed IPv6 included', async () => {
    for (const literal of [
      '127.0.0.1',
      '[::1]',
      '[::ffff:10.0.0.1]',
      '169.254.169.254',
      '[fe80::1]',
    ]) {
      await expect(guard.resolve(literal), literal).rejects.toMatchObject({
        code: 'ZH_SENDER_ADDRESS_BLOCKED',
      })
    }
  })

  it('an explicit allow-list overrides for its ranges only', async () => {
    const allowing = createSsrfGuard({ resolve: resolver, allow: ['127.0.0.1/32', '10.0.0.0/24'] })
    await expect(allowing.resolve('local.test')).resolves.toMatchObject({ address: '127.0.0.1' })
    await expect(allowing.resolve('mapped.test')).resolves.toMatchObject({
      address: '::ffff:127.0.0.1',
    })
    await expect(allowing.resolve('internal.test')).resolves.toMatchObject({ address: '10.0.0.7' })
    await expect(allowing.resolve('metadata.test')).rejects.toMatchObject({
      code: 'ZH_SENDER_ADDRESS_BLOCKED',
    })
  })

  it('gives net.connect / http.request a lookup that only yields checked addresses', async () => {
    const lookup = (name: string) =>
      new Promise((resolve, reject) =>
        guard.lookup(name, {}, (err, address) => (err ? reject(err) : resolve(address))),
      )
    await expect(lookup('public.test')).resolves.toBe('93.184.215.14')
    await expect(lookup('internal.test')).rejects.toMatchObject({
      code: 'ZH_SENDER_ADDRESS_BLOCKED',
    })
  })
})

describe('HTTP transport with the guard (a receiver on 127.0.0.1)', () => {
  let server: Server
  let port: number
  const hits: string[] = []
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.headers.host} ${req.url}`)
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end()
      else res.writeHead(200, { 'retry-after': '3' }).end('x'.repeat(200_000))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const post = (url: string, guardOptions: Parameters<typeof createSsrfGuard>[0]) => {
    const transport = createHttpTransport({
      guard: createSsrfGuard({ resolve: resolver, ...guardOptions }),
    })
    return transport({ url, headers: {}, body: Buffer.from('{}') }).finally(() => transport.close())
  }

  it('refuses loopback without an allow-list, plain http when HTTPS is required', async () => {
    await expect(post(`http://127.0.0.1:${port}/`, { httpsOnly: false })).rejects.toMatchObject({
      code: 'ZH_SENDER_ADDRESS_BLOCKED',
    })
    await expect(post(`http://local.test:${port}/`, { httpsOnly: false })).rejects.toMatchObject({
      code: 'ZH_SENDER_ADDRESS_BLOCKED',
    })
    await expect(post(`http://127.0.0.1:${port}/`, { allow: ['127.0.0.1'] })).rejects.toMatchObject(
      { code: 'ZH_SENDER_HTTPS_REQUIRED' },
    )
    expect(hits).toEqual([])
  })

  it('connects to the checked address (the name never goes to the system resolver)', async () => {
    const res = await post(`http://local.test:${port}/in`, {
      httpsOnly: false,
      allow: ['127.0.0.1/32'],
    })
    expect(res.status).toBe(200)
    expect(res.headers['retry-after']).toBe('3')
    expect(hits).toEqual([`local.test:${port} /in`])
  })

  it('does not follow redirects', async () => {
    const res = await post(`http://127.0.0.1:${port}/redirect`, {
      httpsOnly: false,
      allow: ['127.0.0.1/32'],
    })
    expect(res.status).toBe(302)
    expect(hits.at(-1)).toBe(`127.0.0.1:${port} /redirect`)
  })

  it("a plain node request with the guard's lookup is refused too", async () => {
    const guard = createSsrfGuard({ resolve: resolver, httpsOnly: false })
    const err = await new Promise((resolve) => {
      request(`http://internal.test:${port}/`, { lookup: guard.lookup }).on('error', resolve).end()
    })
    expect(err).toMatchObject({ code: 'ZH_SENDER_ADDRESS_BLOCKED' })
  })
})

describe('HTTPS through the guard: pinned to the checked address, certificate checked by name', () => {
  let server: HttpsServer
  let port: number
  let ca: string
  beforeAll(async () => {
    const { cert, key } = await certificateFor('hooks.test')
    ca = cert
    server = createHttpsServer({ cert, key }, (_req, res) => res.writeHead(204).end())
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const names: Resolver = (name) =>
    Promise.resolve(
      ['hooks.test', 'other.test'].includes(name) ? [{ address: '127.0.0.1', family: 4 }] : [],
    )
  const post = (url: string) => {
    const guard = createSsrfGuard({ resolve: names, allow: ['127.0.0.1/32'] })
    const transport = createHttpTransport({ guard, ca })
    return transport({ url, headers: {}, body: Buffer.from('{}') }).finally(() => transport.close())
  }

  it('reaches the name it resolved and checked', async () => {
    await expect(post(`https://hooks.test:${port}/`)).resolves.toMatchObject({ status: 204 })
  })

  it('refuses a certificate that does not name the host, though the address is the same', async () => {
    await expect(post(`https://other.test:${port}/`)).rejects.toMatchObject({
      code: 'ZH_SENDER_CONNECT_FAILED',
      cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    })
  })
})
