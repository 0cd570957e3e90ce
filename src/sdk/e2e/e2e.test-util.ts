import type { Duplex } from 'node:stream'
import { signGrant } from '../../controller/grants/token.js'
import type { Action } from '../../controller/policy/types.js'
import {
  generateSigningKeyPem,
  loadSigningKey,
  type SigningKey,
} from '../../controller/signing-key.js'
import { createCa, type CertifiedKey } from '../../pki/ca.js'
import { issueKeyAndCertificate } from '../../pki/issue.js'
import { principalUri, type PrincipalKind } from '../../pki/uri.js'
import { createMemoryPair, type MemoryPair } from '../../wire/memory-pair.js'
import type { IdentityFile } from '../identity-file.js'
import { e2eDial } from './dial.js'
import { createE2eHost, type E2eHost } from './host.js'
import type { E2eConnection, E2eLocal, E2eOptions } from './types.js'

export const NETWORK = 'acme'
export const SERVICE = { id: 'svc-jenkins', name: 'jenkins-webhook' }
export const OTHER_SERVICE = { id: 'svc-billing', name: 'billing-webhook' }

/** A throwaway network: CA, controller signing key, identities and grants made on demand. */
export interface TestNetwork {
  ca: CertifiedKey
  signingKey: SigningKey
  /** An identity file of this network (or with a certificate of `opts.ca`, another CA). */
  identity(
    id: string,
    opts?: { ca?: CertifiedKey; kind?: PrincipalKind; days?: number },
  ): Promise<IdentityFile>
  /** A grant token for `identity` (bound to its current certificate unless `cfp` says otherwise). */
  grant(
    identity: IdentityFile,
    action: Action,
    service?: { id: string; name: string },
    opts?: { cfp?: string; ttlSeconds?: number; now?: number; key?: SigningKey },
  ): Promise<string>
}

export async function createTestNetwork(): Promise<TestNetwork> {
  const ca = await createCa({ network: NETWORK })
  const signingKey = loadSigningKey(generateSigningKeyPem())
  const fingerprints = new WeakMap<IdentityFile, string>()
  return {
    ca,
    signingKey,
    async identity(id, opts = {}) {
      const issued = await issueKeyAndCertificate({
        ca: opts.ca ?? ca,
        commonName: id,
        uri: principalUri(NETWORK, opts.kind ?? 'identity', id),
        days: opts.days,
      })
      const identity: IdentityFile = {
        version: 1,
        id,
        name: id,
        kind: 'endpoint',
        network: NETWORK,
        controller: 'https://127.0.0.1:1',
        certificate: issued.certPem,
        key: issued.keyPem,
        ca: ca.certPem,
        grantKey: signingKey.publicJwk,
      }
      fingerprints.set(identity, issued.fingerprint)
      return identity
    },
    async grant(identity, action, service = SERVICE, opts = {}) {
      const { token } = await signGrant(
        opts.key ?? signingKey,
        {
          sub: identity.id,
          net: NETWORK,
          svc: service.id,
          sn: service.name,
          act: action,
          cfp: opts.cfp ?? fingerprints.get(identity)!,
          rtr: ['r1'],
        },
        opts.ttlSeconds ?? 300,
        opts.now,
      )
      return token
    },
  }
}

/** Both sides of one handshake over a memory pair, each settled (never throws). */
export interface PairResult {
  dial: PromiseSettledResult<E2eConnection>
  accept: PromiseSettledResult<E2eConnection>
  pair: MemoryPair
}

/** Runs `e2eDial` on one end of a capturing memory pair and `host.accept` on the other. */
export async function handshakeOverPair(
  dialer: E2eLocal,
  hoster: E2eLocal,
  opts: {
    expect?: { serviceName: string; serviceId?: string }
    hostService?: { id?: string; name: string }
    options?: E2eOptions
    /** An existing host to accept with (it is left open). */
    host?: E2eHost
  } = {},
): Promise<PairResult> {
  const pair = createMemoryPair({ capture: true })
  const host = opts.host ?? createE2eHost(hoster, opts.hostService ?? SERVICE, opts.options)
  const [accept, dial] = await Promise.allSettled([
    host.accept(pair.b),
    e2eDial(
      pair.a,
      dialer,
      opts.expect ?? { serviceName: SERVICE.name, serviceId: SERVICE.id },
      opts.options,
    ),
  ])
  if (!opts.host) host.close()
  return { dial, accept, pair }
}

/** The code a settled handshake failed with, or 'resolved'. */
export function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'resolved'
  return String((result.reason as { code?: unknown }).code)
}

/** Resolves once the stream is destroyed (waiting at most `ms`). */
export async function destroyedSoon(stream: Duplex, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!stream.destroyed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return stream.destroyed
}

/** Reads a stream to its end. */
export async function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
