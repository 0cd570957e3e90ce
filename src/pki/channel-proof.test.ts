import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOfSync } from '../errors.test-util.js'
import { createTestNetwork, NETWORK, type TestNetwork } from '../sdk/e2e/e2e.test-util.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { createCa } from './ca.js'
import {
  channelBinding,
  MAX_PROOF,
  readChannelProof,
  signChannelProof,
  verifyChannelProof,
} from './channel-proof.js'
import { issueKeyAndCertificate } from './issue.js'
import { createOpaqueCertificate } from './opaque.js'
import { principalUri } from './uri.js'

/** Both ends of one TLS 1.3 connection on loopback, the server on an opaque certificate. */
async function tlsPair(): Promise<{ client: tls.TLSSocket; server: tls.TLSSocket }> {
  const serving = await createOpaqueCertificate()
  const tlsServer = tls.createServer({ ...serving, minVersion: 'TLSv1.3' })
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<tls.TLSSocket>((resolve) =>
    tlsServer.once('secureConnection', resolve),
  )
  const client = tls.connect({
    port: (tlsServer.address() as AddressInfo).port,
    host: '127.0.0.1',
    rejectUnauthorized: false,
  })
  await new Promise((resolve) => client.once('secureConnect', resolve))
  const server = await accepted
  tlsServer.close()
  return { client, server }
}

const body = (frame: Buffer) => readChannelProof(frame)!.body

describe('channel proofs: a certificate proved inside a TLS connection', () => {
  let net: TestNetwork
  let router: IdentityFile
  let pair: { client: tls.TLSSocket; server: tls.TLSSocket }
  const expect1 = { network: NETWORK, kind: 'router', id: 'r1', eku: 'serverAuth' } as const

  beforeAll(async () => {
    net = await createTestNetwork()
    router = await net.identity('r1', { kind: 'router' })
    pair = await tlsPair()
  })
  afterAll(() => {
    pair.client.destroy()
    pair.server.destroy()
  })

  it('binds both ends to the same keying material, unique to the connection', async () => {
    const other = await tlsPair()
    expect(channelBinding(pair.client)).toEqual(channelBinding(pair.server))
    expect(channelBinding(other.client)).not.toEqual(channelBinding(pair.client))
    other.client.destroy()
    other.server.destroy()
  })

  it('verifies on its own connection, and names the router', () => {
    const frame = signChannelProof(channelBinding(pair.server), router)
    const cert = verifyChannelProof(channelBinding(pair.client), body(frame), router.ca, expect1)
    expect(cert.principal).toEqual({ network: NETWORK, kind: 'router', id: 'r1' })
  })

  it('verifies with an Ed25519 router key too', async () => {
    const issued = await issueKeyAndCertificate({
      ca: net.ca,
      commonName: 'r1',
      uri: principalUri(NETWORK, 'router', 'r1'),
      keyType: 'ed25519',
    })
    const frame = signChannelProof(channelBinding(pair.server), {
      certificate: issued.certPem,
      key: issued.keyPem,
    })
    const cert = verifyChannelProof(channelBinding(pair.client), body(frame), router.ca, expect1)
    expect(cert.fingerprint).toBe(issued.fingerprint)
  })

  it('does not verify on another connection (a relay forwarding it)', async () => {
    const other = await tlsPair()
    const frame = signChannelProof(channelBinding(other.server), router)
    expect(
      codeOfSync(() =>
        verifyChannelProof(channelBinding(pair.client), body(frame), router.ca, expect1),
      ),
    ).toBe('ZH_ROUTER_PROOF_INVALID')
    other.client.destroy()
    other.server.destroy()
  })

  it('does not verify for a certificate of another CA, another router, or an endpoint', async () => {
    const otherCa = await createCa({ network: NETWORK })
    const provers = [
      await net.identity('r1', { kind: 'router', ca: otherCa }),
      await net.identity('r2', { kind: 'router' }),
      await net.identity('r1'),
    ]
    for (const prover of provers) {
      const frame = signChannelProof(channelBinding(pair.server), prover)
      expect(
        codeOfSync(() =>
          verifyChannelProof(channelBinding(pair.client), body(frame), router.ca, expect1),
        ),
      ).toBe('ZH_ROUTER_PROOF_INVALID')
    }
  })

  it('does not verify when tampered with, truncated, or of an unknown version', () => {
    const frame = signChannelProof(channelBinding(pair.server), router)
    const good = body(frame)
    const flipped = Buffer.from(good)
    flipped[flipped.length - 5]! ^= 1
    const version = Buffer.from(good)
    version[0] = 2
    for (const bad of [flipped, version, good.subarray(0, 40), Buffer.alloc(0)]) {
      expect(
        codeOfSync(() => verifyChannelProof(channelBinding(pair.client), bad, router.ca, expect1)),
      ).toBe('ZH_ROUTER_PROOF_INVALID')
    }
  })

  it('reads a frame once it is whole, gives back what follows, and refuses an oversized one', () => {
    const frame = signChannelProof(channelBinding(pair.server), router)
    expect(readChannelProof(frame.subarray(0, 1))).toBeUndefined()
    expect(readChannelProof(frame.subarray(0, frame.length - 1))).toBeUndefined()
    const read = readChannelProof(Buffer.concat([frame, Buffer.from('next')]))!
    expect(read.body.length).toBe(frame.length - 2)
    expect(read.rest.toString()).toBe('next')
    const huge = Buffer.alloc(2)
    huge.writeUInt16BE(MAX_PROOF + 1)
    expect(codeOfSync(() => readChannelProof(huge))).toBe('ZH_ROUTER_PROOF_INVALID')
  })
})
