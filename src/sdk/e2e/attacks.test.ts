import tls from 'node:tls'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPem, loadSigningKey } from '../../controller/signing-key.js'
import { ZhError } from '../../errors.js'
import { createCa } from '../../pki/ca.js'
import { createMemoryPair } from '../../wire/memory-pair.js'
import type { IdentityFile } from '../identity-file.js'
import { e2eDial } from './dial.js'
import {
  OTHER_SERVICE,
  SERVICE,
  codeOf,
  createTestNetwork,
  destroyedSoon,
  handshakeOverPair,
  type PairResult,
  type TestNetwork,
} from './e2e.test-util.js'
import { createE2eHost } from './host.js'
import { encodeMessage } from './messages.js'
import { tlsMaterial } from '../client-context.js'
import { E2E_ALPN } from './tls.js'
import type { E2eLocal } from './types.js'

let net: TestNetwork
let dialerId: IdentityFile
let hosterId: IdentityFile
let dialer: E2eLocal
let hoster: E2eLocal

beforeAll(async () => {
  net = await createTestNetwork()
  dialerId = await net.identity('ci-job')
  hosterId = await net.identity('jenkins')
  dialer = { identity: dialerId, grant: await net.grant(dialerId, 'dial') }
  hoster = { identity: hosterId, grant: await net.grant(hosterId, 'bind') }
})

/** Asserts both outcomes by code (so neither application got a socket) and both circuits died. */
async function expectRefused(r: PairResult, dial: string, accept: string): Promise<void> {
  expect({ dial: codeOf(r.dial), accept: codeOf(r.accept) }).toEqual({ dial, accept })
  expect(await destroyedSoon(r.pair.a)).toBe(true)
  expect(await destroyedSoon(r.pair.b)).toBe(true)
}

describe('a router sends the dial to the wrong endpoint', () => {
  it('another identity hosting another service: both sides see the wrong service', async () => {
    const billing = await net.identity('billing')
    const intruder = { identity: billing, grant: await net.grant(billing, 'bind', OTHER_SERVICE) }
    const r = await handshakeOverPair(dialer, intruder, { hostService: OTHER_SERVICE })
    await expectRefused(r, 'ZH_E2E_WRONG_SERVICE', 'ZH_E2E_WRONG_SERVICE')
  })

  it('an endpoint with no bind grant (only a dial grant) is refused', async () => {
    const mallory = await net.identity('mallory')
    const local = { identity: mallory, grant: await net.grant(mallory, 'dial') }
    const r = await handshakeOverPair(dialer, local)
    await expectRefused(r, 'ZH_E2E_PEER_GRANT_INVALID', 'ZH_E2E_REFUSED')
  })

  it('an endpoint presenting something that is not a grant is refused', async () => {
    const mallory = await net.identity('mallory')
    const r = await handshakeOverPair(dialer, { identity: mallory, grant: 'not-a-grant' })
    await expectRefused(r, 'ZH_E2E_PEER_GRANT_INVALID', 'ZH_E2E_REFUSED')
  })

  it("an endpoint replaying the real hoster's grant is refused", async () => {
    const mallory = await net.identity('mallory')
    const r = await handshakeOverPair(dialer, { identity: mallory, grant: hoster.grant })
    await expectRefused(r, 'ZH_E2E_PEER_GRANT_INVALID', 'ZH_E2E_REFUSED')
  })

  it('a hoster whose grant is bound to another of its certificates is refused', async () => {
    const renewed = await net.identity('jenkins')
    const r = await handshakeOverPair(dialer, { identity: renewed, grant: hoster.grant })
    await expectRefused(r, 'ZH_E2E_PEER_GRANT_INVALID', 'ZH_E2E_REFUSED')
  })

  it('a router certificate posing as the hoster is refused', async () => {
    const router = await net.identity('r1', { kind: 'router' })
    const r = await handshakeOverPair(dialer, { identity: router, grant: hoster.grant })
    expect(codeOf(r.dial)).toBe('ZH_E2E_PEER_CERT_INVALID')
    expect(codeOf(r.accept)).not.toBe('resolved')
    expect(await destroyedSoon(r.pair.b)).toBe(true)
  })
})

describe('the hoster refuses dialers', () => {
  it('with a dial grant for another service', async () => {
    const local = { identity: dialerId, grant: await net.grant(dialerId, 'dial', OTHER_SERVICE) }
    const r = await handshakeOverPair(local, hoster)
    await expectRefused(r, 'ZH_E2E_REFUSED', 'ZH_E2E_WRONG_SERVICE')
  })

  it('with an expired grant', async () => {
    const past = Date.now() - 3_600_000
    const local = {
      identity: dialerId,
      grant: await net.grant(dialerId, 'dial', SERVICE, { now: past, ttlSeconds: 60 }),
    }
    const r = await handshakeOverPair(local, hoster)
    await expectRefused(r, 'ZH_E2E_REFUSED', 'ZH_E2E_PEER_GRANT_INVALID')
    if (r.accept.status === 'rejected') {
      expect(r.accept.reason).toMatchObject({ cause: { code: 'ZH_GRANT_EXPIRED' } })
    }
  })

  it('with a grant forged with another key', async () => {
    const key = loadSigningKey(generateSigningKeyPem())
    const local = { identity: dialerId, grant: await net.grant(dialerId, 'dial', SERVICE, { key }) }
    const r = await handshakeOverPair(local, hoster)
    await expectRefused(r, 'ZH_E2E_REFUSED', 'ZH_E2E_PEER_GRANT_INVALID')
  })

  it('with a certificate from another CA', async () => {
    const stranger = await createCa({ network: 'acme' })
    const forged = await net.identity('ci-job', { ca: stranger })
    const r = await handshakeOverPair({ identity: forged, grant: dialer.grant }, hoster)
    // Node's TLS server drops a refused client without an alert: the dialer only sees it close.
    await expectRefused(r, 'ZH_E2E_HANDSHAKE_FAILED', 'ZH_E2E_PEER_CERT_INVALID')
  })
})

describe('the dialer refuses hosters', () => {
  it('with an expired grant', async () => {
    const past = Date.now() - 3_600_000
    const local = {
      identity: hosterId,
      grant: await net.grant(hosterId, 'bind', SERVICE, { now: past, ttlSeconds: 60 }),
    }
    const r = await handshakeOverPair(dialer, local)
    await expectRefused(r, 'ZH_E2E_PEER_GRANT_INVALID', 'ZH_E2E_REFUSED')
  })

  it('with a certificate from another CA', async () => {
    const stranger = await createCa({ network: 'acme' })
    const forged = await net.identity('jenkins', { ca: stranger })
    const r = await handshakeOverPair(dialer, { identity: forged, grant: hoster.grant })
    expect(codeOf(r.dial)).toBe('ZH_E2E_PEER_CERT_INVALID')
    expect(codeOf(r.accept)).not.toBe('resolved')
    expect(await destroyedSoon(r.pair.a)).toBe(true)
    expect(await destroyedSoon(r.pair.b)).toBe(true)
  })
})

describe('peers that do not speak the protocol', () => {
  const fast = { timeoutMs: 200 }

  it('garbage instead of a TLS client', async () => {
    const { a, b } = createMemoryPair()
    const host = createE2eHost(hoster, SERVICE)
    const accepted = host.accept(b)
    a.write('GET / HTTP/1.1\r\nHost: jenkins-webhook\r\n\r\n')
    await expect(accepted).rejects.toMatchObject({ code: 'ZH_E2E_HANDSHAKE_FAILED' })
    expect(await destroyedSoon(b)).toBe(true)
  })

  it('garbage instead of a TLS server', async () => {
    const { a, b } = createMemoryPair()
    b.once('data', () => b.write('HTTP/1.1 400 Bad Request\r\n\r\n'))
    await expect(e2eDial(a, dialer, { serviceName: SERVICE.name })).rejects.toMatchObject({
      code: 'ZH_E2E_HANDSHAKE_FAILED',
    })
    expect(await destroyedSoon(a)).toBe(true)
  })

  it('an endpoint of the previous version (TLS application data, zh-e2e/1) fails the handshake', async () => {
    const { a, b } = createMemoryPair()
    const host = createE2eHost(hoster, SERVICE)
    const accepted = host.accept(b)
    const old = tls.connect({
      socket: a,
      ...tlsMaterial(dialerId),
      ALPNProtocols: ['zh-e2e/1'],
      checkServerIdentity: () => undefined,
    })
    const refused = new Promise((resolve) => old.once('error', resolve))
    await expect(accepted).rejects.toMatchObject({ code: 'ZH_E2E_HANDSHAKE_FAILED' })
    expect(await refused).toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' })
    host.close()
  })

  it('a hoster that never answers times out', async () => {
    const { a } = createMemoryPair()
    await expect(e2eDial(a, dialer, { serviceName: SERVICE.name }, fast)).rejects.toMatchObject({
      code: 'ZH_E2E_TIMEOUT',
    })
    expect(a.destroyed).toBe(true)
  })

  it('a dialer that never speaks times out', async () => {
    const { b } = createMemoryPair()
    const host = createE2eHost(hoster, SERVICE, fast)
    const reset = new Promise((resolve) => b.once('error', resolve))
    await expect(host.accept(b)).rejects.toMatchObject({ code: 'ZH_E2E_TIMEOUT' })
    expect(b.destroyed).toBe(true)
    // A zerohook circuit would carry this code to the far end, where it must read right.
    expect(await reset).toMatchObject({
      code: 'ZH_E2E_REFUSED',
      detail: 'the peer refused: ZH_E2E_TIMEOUT',
    })
  })

  /** A hoster with a valid certificate that completes TLS, then misbehaves in the grant exchange. */
  function rogueHoster(then: (socket: tls.TLSSocket) => void) {
    const { a, b } = createMemoryPair()
    const server = tls.createServer({
      ...tlsMaterial(hosterId),
      requestCert: true,
      ALPNProtocols: [E2E_ALPN],
    })
    server.on('secureConnection', then)
    server.emit('connection', b)
    return a
  }

  it('a hoster that completes TLS but never sends its grant times out', async () => {
    const circuit = rogueHoster(() => {})
    await expect(
      e2eDial(circuit, dialer, { serviceName: SERVICE.name }, fast),
    ).rejects.toMatchObject({ code: 'ZH_E2E_TIMEOUT' })
    expect(await destroyedSoon(circuit)).toBe(true)
  })

  it('an oversized grant message is refused without being buffered', async () => {
    const circuit = rogueHoster((s) => s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])))
    await expect(e2eDial(circuit, dialer, { serviceName: SERVICE.name })).rejects.toMatchObject({
      code: 'ZH_E2E_PROTOCOL',
    })
    expect(await destroyedSoon(circuit)).toBe(true)
  })

  it('a hoster that sends TLS data after its ok is refused (data goes in records only)', async () => {
    const circuit = rogueHoster((s) => {
      s.write(encodeMessage({ type: 'grant', grant: hoster.grant }))
      s.once('data', () =>
        s.write(Buffer.concat([encodeMessage({ type: 'ok' }), Buffer.from('smuggled')])),
      )
    })
    await expect(e2eDial(circuit, dialer, { serviceName: SERVICE.name })).rejects.toMatchObject({
      code: 'ZH_E2E_PROTOCOL',
    })
    expect(await destroyedSoon(circuit)).toBe(true)
  })

  it('a hoster that answers ok before any grant is refused', async () => {
    const circuit = rogueHoster((s) => s.write(encodeMessage({ type: 'ok' })))
    await expect(e2eDial(circuit, dialer, { serviceName: SERVICE.name })).rejects.toMatchObject({
      code: 'ZH_E2E_PROTOCOL',
    })
  })
})

describe('the overlay ends the circuit', () => {
  it.each([
    ['as the TLS handshake completes', 0],
    ['during the grant exchange', 1],
  ])('%s: its code reaches the caller', async (_when, messages) => {
    const { a, b } = createMemoryPair()
    const host = createE2eHost(hoster, SERVICE)
    host.accept(b).catch(() => {})
    let seen = 0
    a.on('data', () => {
      // What the hoster sends first completes TLS; what follows carries its grant.
      if (seen++ === messages) a.destroy(new ZhError('ZH_ROUTER_PERMISSION_REVOKED'))
    })
    await expect(e2eDial(a, dialer, { serviceName: SERVICE.name })).rejects.toMatchObject({
      code: 'ZH_ROUTER_PERMISSION_REVOKED',
    })
    host.close()
  })
})

describe('host lifecycle', () => {
  it('close() fails handshakes in progress and refuses new circuits', async () => {
    const host = createE2eHost(hoster, SERVICE)
    const first = createMemoryPair()
    const pending = host.accept(first.b)
    host.close()
    await expect(pending).rejects.toMatchObject({ code: 'ZH_SDK_CLOSED' })
    const second = createMemoryPair()
    await expect(host.accept(second.b)).rejects.toMatchObject({ code: 'ZH_SDK_CLOSED' })
    expect(first.b.destroyed && second.b.destroyed).toBe(true)
  })
})
