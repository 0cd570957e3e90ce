import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { bearerToken, clientCertificate, ipAllowList, type InboundGuard } from './inbound.js'
import { certificateFor } from './tls.test-util.js'

const TOKEN = 'tok_0123456789abcdef'
const PRINT = 'AB:CD:'.repeat(15) + 'AB:CD'

// Guards read only a few fields; a stand-in request keeps these tests free of sockets.
function req(more: {
  address?: string
  authorization?: string
  tls?: { authorized: boolean; fp?: string; cn?: string }
}): IncomingMessage {
  const socket: Record<string, unknown> = { remoteAddress: more.address ?? '127.0.0.1' }
  if (more.tls) {
    socket.authorized = more.tls.authorized
    socket.getPeerCertificate = () => ({
      fingerprint256: more.tls!.fp ?? PRINT,
      subject: { CN: more.tls!.cn ?? 'billing' },
    })
  }
  return {
    socket,
    headers: more.authorization ? { authorization: more.authorization } : {},
  } as unknown as IncomingMessage
}

const codeOf = (guard: InboundGuard, r: IncomingMessage): string | undefined => {
  try {
    guard(r)
    return undefined
  } catch (err) {
    return (err as { code: string }).code
  }
}

describe('inbound guards', () => {
  it('IP allow-list: CIDR, IPv4 and IPv6, v4-mapped peers normalised', () => {
    const guard = ipAllowList(['192.30.252.0/22', '2a0a:a440::/29'])
    for (const address of [
      '192.30.252.1',
      '192.30.255.254',
      '::ffff:192.30.253.9',
      '2a0a:a440::1',
    ]) {
      expect(codeOf(guard, req({ address })), address).toBeUndefined()
    }
    for (const address of ['192.30.251.255', '::ffff:10.0.0.1', '2a0a:a448::1', '127.0.0.1']) {
      expect(codeOf(guard, req({ address })), address).toBe('ZH_WEBHOOK_IP_FORBIDDEN')
    }
    const behindProxy = ipAllowList(['10.0.0.0/8'], { address: () => '10.1.1.1' })
    expect(codeOf(behindProxy, req({ address: '1.2.3.4' }))).toBeUndefined()
    expect(() => ipAllowList(['10.0.0.0/40'])).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })

  it('bearer token: missing and wrong have their own codes; rotation accepts either', () => {
    const guard = bearerToken([TOKEN, `${TOKEN}-next`])
    expect(codeOf(guard, req({}))).toBe('ZH_WEBHOOK_TOKEN_MISSING')
    expect(codeOf(guard, req({ authorization: `Basic ${TOKEN}` }))).toBe('ZH_WEBHOOK_TOKEN_MISSING')
    expect(codeOf(guard, req({ authorization: `Bearer ${TOKEN}x` }))).toBe(
      'ZH_WEBHOOK_TOKEN_INVALID',
    )
    expect(codeOf(guard, req({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }))).toBe(
      'ZH_WEBHOOK_TOKEN_INVALID',
    )
    expect(codeOf(guard, req({ authorization: `Bearer ${TOKEN}` }))).toBeUndefined()
    expect(codeOf(guard, req({ authorization: `bearer ${TOKEN}-next` }))).toBeUndefined()
    expect(() => bearerToken('short')).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })

  it('client certificate: required (401), and optionally on an allow-list (403)', () => {
    const any = clientCertificate()
    expect(codeOf(any, req({}))).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    expect(codeOf(any, req({ tls: { authorized: false } }))).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    expect(codeOf(any, req({ tls: { authorized: true } }))).toBeUndefined()
    const listed = clientCertificate({
      fingerprints: [PRINT.replace(/:/g, '').toLowerCase()],
      subjects: ['ci'],
    })
    expect(codeOf(listed, req({ tls: { authorized: true } }))).toBeUndefined()
    expect(
      codeOf(listed, req({ tls: { authorized: true, fp: 'EF:'.repeat(31) + 'EF', cn: 'ci' } })),
    ).toBeUndefined()
    expect(codeOf(listed, req({ tls: { authorized: true, fp: 'EF:'.repeat(31) + 'EF' } }))).toBe(
      'ZH_WEBHOOK_CLIENT_CERT_FORBIDDEN',
    )
    expect(() => clientCertificate({ fingerprints: ['abc'] })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })
})

describe('client certificate over real mutual TLS', () => {
  it('refuses a client without a certificate or with an unknown one, accepts the trusted one', async () => {
    const server = await certificateFor('receiver.test')
    const client = await certificateFor('sender.test')
    const stranger = await certificateFor('sender.test')
    const guard = clientCertificate({ subjects: ['sender.test'] })
    const https = createHttpsServer(
      { ...server, ca: client.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        try {
          guard(req)
          res.end('ok')
        } catch (err) {
          res.end((err as { code: string }).code)
        }
      },
    )
    https.listen(0, '127.0.0.1')
    await once(https, 'listening')
    const { port } = https.address() as AddressInfo
    const call = (tls: { cert?: string; key?: string }) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            servername: 'receiver.test',
            ca: server.cert,
            agent: false,
            ...tls,
          },
          (res) => {
            let text = ''
            res.on('data', (d: Buffer) => (text += d.toString()))
            res.on('end', () => resolve(text))
          },
        )
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await call({})).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
      expect(await call(stranger)).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
      expect(await call(client)).toBe('ok')
    } finally {
      await new Promise((resolve) => https.close(resolve))
    }
  })
})
