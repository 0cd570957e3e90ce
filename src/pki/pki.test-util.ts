import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import tls from 'node:tls'
import { createPublicKey, webcrypto, type X509Certificate } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { CertifiedKey } from './ca.js'
import { generateKeyPair } from './keys.js'
import { randomSerial } from './serial.js'
import { importSigningKey, signingAlgorithm } from './webcrypto.js'
import { x509 } from './x509.js'

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'zerohook-pki-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** What both ends saw of a handshake. */
export type HandshakeResult =
  | {
      ok: true
      protocol: string | null
      /** The client certificate as the server saw it. */
      clientCert: X509Certificate | undefined
      /** The server certificate as the client saw it. */
      serverCert: X509Certificate | undefined
      /** A byte sent by the client and echoed by the server, proving the channel works. */
      echoed: string
    }
  | {
      ok: false
      clientError: Error | undefined
      serverError: Error | undefined
      /** Whether the server's connection handler ever ran (it must not for a refused client). */
      accepted: boolean
    }

/**
 * Runs one real TLS handshake over 127.0.0.1 (port chosen by the OS) and echoes a byte. When
 * either end refuses, reports the client's error, the server's `tlsClientError`, and whether the
 * server ever accepted the connection. In TLS 1.3 the client finishes first; a Node server that
 * rejects its certificate then just destroys the socket, so the client sees only a reset.
 */
export async function handshake(
  serverOpts: tls.TlsOptions,
  clientOpts: tls.ConnectionOptions,
): Promise<HandshakeResult> {
  let clientCert: X509Certificate | undefined
  let accepted = false
  const server = tls.createServer(serverOpts, (socket) => {
    accepted = true
    clientCert = socket.getPeerX509Certificate()
    socket.on('data', (d: Buffer) => socket.end(d))
    socket.on('error', () => socket.destroy())
  })
  const serverError = new Promise<Error>((resolve) => server.once('tlsClientError', resolve))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const client = await new Promise<HandshakeResult | { clientError: Error | undefined }>(
    (resolve) => {
      let echoed = ''
      let clientError: Error | undefined
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientOpts }, () => {
        const serverCert = socket.getPeerX509Certificate()
        const protocol = socket.getProtocol()
        socket.on('data', (d: Buffer) => (echoed += d.toString()))
        socket.on('end', () => {
          if (echoed) resolve({ ok: true, protocol, clientCert, serverCert, echoed })
        })
        socket.write('z')
      })
      socket.on('error', (err: Error) => {
        clientError = err
      })
      socket.on('close', () => resolve({ clientError }))
    },
  )
  // Give the server a moment to report why it refused.
  const refused =
    'ok' in client
      ? undefined
      : await Promise.race([serverError, setTimeout(500).then(() => undefined)])
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return 'ok' in client
    ? client
    : { ok: false, clientError: client.clientError, serverError: refused, accepted }
}

/** Parses a PEM certificate with @peculiar/x509, to read extensions Node does not expose. */
export function peculiar(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem)
}

/** The DER inside a single PEM block. */
export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

/** A PEM block around DER. */
export function derToPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** Node key pair as WebCrypto keys, for building CSRs and certificates the API would refuse. */
export async function toWebKeys(
  keys: { privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject },
  algorithm: Parameters<typeof webcrypto.subtle.importKey>[2],
): Promise<{ privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey }> {
  const pkcs8 = keys.privateKey.export({ type: 'pkcs8', format: 'der' })
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' })
  return {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']),
  }
}

/**
 * A leaf signed by `ca` with exactly the given extensions, for certificates `issueCertificate`
 * would never make (no EKU, no URI, a smuggled URI...).
 */
export async function customLeaf(
  ca: CertifiedKey,
  extensions: x509.Extension[],
  subjectKey?: { publicKeyPem: string },
): Promise<string> {
  const key = await importSigningKey(ca.keyPem)
  const { publicKeyPem } = subjectKey ?? (await generateKeyPair())
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=custom',
    issuer: new x509.X509Certificate(ca.certPem).subjectName,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    publicKey: createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' }),
    signingKey: key.privateKey,
    signingAlgorithm: signingAlgorithm[key.type],
    extensions,
  })
  return cert.toString('pem')
}
