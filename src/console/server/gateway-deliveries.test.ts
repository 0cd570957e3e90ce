import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { codeOf, codeOfSync } from '../../errors.test-util.js'
import { gatewayDeliveries } from './gateway-deliveries.js'

const TOKEN = 'a'.repeat(40)
let server: Server | undefined

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
})

/** A stand-in admin API that records what it was asked and answers `status` with `body`. */
async function fakeAdmin(status: number, body: string, seen: string[] = []): Promise<string> {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`)
    res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('console: a gateway as the source of deliveries', () => {
  it('refuses a gateway URL off this machine, over https or with credentials, and a short token', () => {
    for (const url of [
      'http://10.0.0.5:8080',
      'http://gateway.example:8080',
      'https://127.0.0.1:8080',
      'http://user:pw@127.0.0.1:8080',
      'not a url',
    ]) {
      expect(codeOfSync(() => gatewayDeliveries({ url, token: TOKEN }))).toBe(
        'ZH_CONSOLE_GATEWAY_INVALID',
      )
    }
    expect(codeOfSync(() => gatewayDeliveries({ url: 'http://127.0.0.1:1', token: 'short' }))).toBe(
      'ZH_CONSOLE_GATEWAY_INVALID',
    )
    expect(gatewayDeliveries({ url: 'http://[::1]:1', token: TOKEN })).toBeTruthy()
  })

  it('passes only the filters on, with the token, and replays by id', async () => {
    const seen: string[] = []
    const url = await fakeAdmin(200, '{"deliveries":[]}', seen)
    const gateway = gatewayDeliveries({ url, token: TOKEN })
    const list = new URL('http://c/api/gateway/deliveries?state=failed&route=/gh&evil=1&limit=5')
    await expect(gateway.route('GET', list)).resolves.toEqual({ deliveries: [] })
    await gateway.route('POST', new URL('http://c/api/gateway/deliveries/gw_1/replay'))
    expect(seen).toEqual([
      `GET /v1/deliveries?state=failed&route=%2Fgh&limit=5 Bearer ${TOKEN}`,
      `POST /v1/deliveries/gw_1/replay Bearer ${TOKEN}`,
    ])
    expect(gateway.route('GET', new URL('http://c/api/gateway/other'))).toBeUndefined()
    expect(gateway.route('POST', new URL('http://c/api/gateway/deliveries/../x/replay'))).toBe(
      undefined,
    )
  })

  it('a refused token or a dead gateway is ZH_CONSOLE_GATEWAY_UNAVAILABLE, not a console 401', async () => {
    const refused = await fakeAdmin(401, '{"error":{"code":"ZH_GATEWAY_ADMIN_TOKEN_INVALID"}}')
    const list = new URL('http://c/api/gateway/deliveries')
    const answer = gatewayDeliveries({ url: refused, token: TOKEN }).route('GET', list)
    expect(await codeOf(answer!)).toBe('ZH_CONSOLE_GATEWAY_UNAVAILABLE')
    const dead = gatewayDeliveries({ url: 'http://127.0.0.1:1', token: TOKEN }).route('GET', list)
    expect(await codeOf(dead!)).toBe('ZH_CONSOLE_GATEWAY_UNAVAILABLE')
  })
})
