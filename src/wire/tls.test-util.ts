import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import * as x509 from '@peculiar/x509'
import type { DuplexPair } from './channel-fixture.test-util.js'

x509.cryptoProvider.set(webcrypto)

/** A throwaway self-signed P-256 certificate for 127.0.0.1, used by both ends (mutual TLS). */
export async function selfSignedCert(): Promise<{ certPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=zerohook wire test',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`
  return { certPem: cert.toString('pem'), keyPem }
}

/** A TLS 1.3 server on 127.0.0.1:0 that hands out connected (client, server) socket pairs. */
export async function tlsPairs(): Promise<{
  connect(): Promise<DuplexPair>
  close(): Promise<void>
}> {
  const { certPem, keyPem } = await selfSignedCert()
  const common = {
    key: keyPem,
    cert: certPem,
    ca: certPem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  } as const
  const server = tls.createServer({ ...common, requestCert: true, rejectUnauthorized: true })
  const sockets = new Set<tls.TLSSocket>()
  const waiting: ((s: tls.TLSSocket) => void)[] = []
  server.on('secureConnection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    waiting.shift()?.(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    async connect() {
      const accepted = new Promise<tls.TLSSocket>((resolve) => waiting.push(resolve))
      const client = tls.connect({ ...common, host: '127.0.0.1', port, servername: undefined })
      sockets.add(client)
      client.on('close', () => sockets.delete(client))
      await new Promise<void>((resolve, reject) => {
        client.once('secureConnect', resolve)
        client.once('error', reject)
      })
      return { initiator: client, acceptor: await accepted }
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
