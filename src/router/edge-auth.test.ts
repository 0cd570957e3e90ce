import { webcrypto } from 'node:crypto'
import { once } from 'node:events'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isZhError } from '../errors.js'
import { removeIdentity } from '../controller/ops/identities.js'
import { createRouter } from '../controller/ops/routers.js'
import { createCa } from '../pki/ca.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { generateKeyPair } from '../pki/keys.js'
import { randomSerial } from '../pki/serial.js'
import { loadIssuer } from '../pki/signer.js'
import { principalUri } from '../pki/uri.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { signingAlgorithm } from '../pki/webcrypto.js'
import { x509 } from '../pki/x509.js'
import { enrollWithToken } from '../sdk/enroll.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { createChannel } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import { rawLink, startRouterBed, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, host } from './traffic.test-util.js'

interface Credentials {
  cert: string
  key: string
}

const DAY = 86_400_000

/**
 * A leaf for `uri` with exactly the extended key usages given, signed by `ca` (or by its own
 * key when `ca` is undefined): the certificates `issueCertificate` refuses to make.
 */
async function leaf(
  ca: { certPem: string; keyPem: string } | undefined,
  uri: string,
  usages: string[],
): Promise<Credentials> {
  const { privateKeyPem, publicKeyPem } = await generateKeyPair()
  const spki = new x509.PublicKey(publicKeyPem)
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], false),
  ]
  const window = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + DAY) }
  const name = 'CN=impostor'
  let cert: x509.X509Certificate
  if (ca) {
    const issuer = await loadIssuer(ca)
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: name,
      issuer: issuer.cert.subjectName,
      ...window,
      publicKey: spki,
      signingKey: issuer.key.privateKey,
      signingAlgorithm: signingAlgorithm[issuer.key.type],
      extensions,
    })
  } else {
    const { subtle } = webcrypto
    const alg = { name: 'ECDSA', namedCurve: 'P-256' }
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    const keys = {
      privateKey: await subtle.importKey('pkcs8', der(privateKeyPem), alg, true, ['sign']),
      publicKey: await subtle.importKey('spki', der(publicKeyPem), alg, true, ['verify']),
    }
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name,
      ...window,
      keys,
      signingAlgorithm: signingAlgorithm.p256,
      extensions,
    })
  }
  return { cert: cert.toString('pem'), key: privateKeyPem }
}

/** What a client without a good certificate gets from the router. */
interface Attempt {
  /** The client finished its side of the handshake (TLS 1.3 does before the server checked). */
  secureConnect: boolean
  /** Bytes of wire protocol the router sent: never any. */
  bytesIn: number
  /** Overlay messages answered: never any. */
  messages: number
  /** How a dial sent anyway ended: never with an answer of the router's. */
  dial: string
}

async function attempt(bed: RouterBed, ca: string, credentials?: Credentials): Promise<Attempt> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: bed.router.port,
    ca,
    ...credentials,
    minVersion: 'TLSv1.3',
    checkServerIdentity: checkServerPrincipal({ network: 'bed', kind: 'router', id: bed.routerId }),
  })
  socket.on('error', () => undefined)
  // Not events.once: it would reject on the 'error' (an alert, a reset) that comes first.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const secure = await new Promise<boolean>((resolve) => {
    socket.once('secureConnect', () => resolve(true))
    socket.once('close', () => resolve(false))
  })
  const result: Attempt = { secureConnect: secure, bytesIn: 0, messages: 0, dial: 'not sent' }
  if (secure) {
    // Try to use the connection as an endpoint would: a bind and a dial.
    const channel = createChannel(socket, { role: 'initiator' })
    channel.on('message', () => result.messages++)
    channel.send(encodeOverlay({ t: 'bind', id: 1, service: 'svc', grant: 'a.b.c' }))
    result.dial = await channel.open(encodeOverlay({ service: 'svc', grant: 'a.b.c' })).then(
      ({ circuit }) => {
        circuit.destroy()
        return 'opened'
      },
      (err: unknown) => (isZhError(err) ? err.code : String(err)),
    )
    result.bytesIn = channel.stats.bytesIn
  }
  await closed
  return result
}

async function refusals(bed: RouterBed): Promise<Record<string, number>> {
  const { values } = await bed.router.metrics.connectionsRefused.get()
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]))
}

/** The refusal counters once the one for `reason` moved past `before` (or after 2 s). */
async function refusalsAfter(
  bed: RouterBed,
  before: Record<string, number>,
  reason: string,
): Promise<Record<string, number>> {
  const deadline = Date.now() + 2000
  for (;;) {
    const now = await refusals(bed)
    if ((now[reason] ?? 0) > (before[reason] ?? 0) || Date.now() > deadline) return now
    await sleep(10)
  }
}

describe(
  'router edge: only valid, unrevoked endpoint certificates get in',
  { timeout: 60_000 },
  () => {
    let bed: RouterBed
    let ca: string
    let dialer: IdentityFile
    let uri: string

    beforeAll(async () => {
      bed = await startRouterBed()
      await addService(bed, 'svc')
      const hostId = await bed.endpoint('host', ['svc-host'])
      dialer = await bed.endpoint('dialer', ['svc-dial'])
      await host(bed, hostId, 'svc', echo)
      ca = dialer.ca
      // The impostors claim the dialer's own principal: only the certificate itself is wrong.
      uri = principalUri('bed', 'identity', dialer.id)
    })
    afterAll(() => bed.stop())

    const usages = [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]
    const cases: [string, () => Promise<Credentials | undefined>, string][] = [
      ['no client certificate', async () => undefined, 'no-certificate'],
      [
        'a certificate of another CA',
        async () => {
          const other = await createCa({ network: 'bed' })
          const c = await issueKeyAndCertificate({ ca: other, commonName: dialer.id, uri })
          return { cert: c.certPem, key: c.keyPem }
        },
        'certificate',
      ],
      ['a self-signed certificate', () => leaf(undefined, uri, usages), 'certificate'],
      [
        'an expired certificate',
        async () => {
          const c = await issueKeyAndCertificate({
            ca: bed.c.ctx.ca,
            commonName: dialer.id,
            uri,
            now: new Date(Date.now() - 10 * DAY),
            days: 1,
          })
          return { cert: c.certPem, key: c.keyPem }
        },
        'certificate',
      ],
      [
        'a certificate not yet valid',
        async () => {
          const c = await issueKeyAndCertificate({
            ca: bed.c.ctx.ca,
            commonName: dialer.id,
            uri,
            now: new Date(Date.now() + 2 * DAY),
          })
          return { cert: c.certPem, key: c.keyPem }
        },
        'certificate',
      ],
      [
        'a certificate for server authentication only',
        () => leaf(bed.c.ctx.ca, uri, [x509.ExtendedKeyUsage.serverAuth]),
        'certificate',
      ],
      [
        "a router's certificate (right CA, not an endpoint)",
        async () => {
          const { enrollment } = await createRouter(bed.c.ctx, { name: 'r2' })
          const r = await enrollWithToken(enrollment.token)
          return { cert: r.certificate, key: r.key }
        },
        // A router of this network, but not one the controller lists as live: no link either.
        'router',
      ],
    ]

    for (const [what, credentials, reason] of cases) {
      it(`refuses ${what} (${reason}) and stays up`, async () => {
        const before = await refusals(bed)
        const sessions = new Set(bed.router.registry.sessions)
        const result = await attempt(bed, ca, await credentials())
        // Nothing of the protocol was ever spoken to it.
        expect(result.bytesIn).toBe(0)
        expect(result.messages).toBe(0)
        expect(['not sent', 'ZH_WIRE_CHANNEL_CLOSED']).toContain(result.dial)
        // The router counted it under its reason, and under no other.
        const after = await refusalsAfter(bed, before, reason)
        expect(after).toEqual({ ...before, [reason]: (before[reason] ?? 0) + 1 })
        expect([...bed.router.registry.sessions].filter((x) => !sessions.has(x))).toEqual([])
        // And it still serves a good endpoint.
        const channel = await rawLink(bed, dialer)
        const circuit = await dial(channel, dialer, 'svc')
        circuit.end('ok')
        circuit.on('data', () => undefined)
        await once(circuit, 'end')
        channel.close()
      })
    }

    it('refuses a revoked certificate (revoked) at the next connection', async () => {
      const doomed = await bed.endpoint('doomed', ['svc-dial'])
      const channel = await rawLink(bed, doomed)
      const circuit = await dial(channel, doomed, 'svc') // a working endpoint, until...
      circuit.on('error', () => undefined)
      const dropped = once(channel, 'close')
      await removeIdentity(bed.c.ctx, 'doomed')
      const [err] = (await dropped) as [{ code?: string } | undefined]
      expect(err?.code).toBe('ZH_ROUTER_CERT_REVOKED')

      const before = await refusals(bed)
      const result = await attempt(bed, ca, { cert: doomed.certificate, key: doomed.key })
      expect(result.bytesIn).toBe(0)
      expect(result.messages).toBe(0)
      expect(['not sent', 'ZH_WIRE_CHANNEL_CLOSED']).toContain(result.dial)
      const after = await refusalsAfter(bed, before, 'revoked')
      expect(after).toEqual({ ...before, revoked: (before.revoked ?? 0) + 1 })
    })
  },
)
