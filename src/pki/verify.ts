import type { X509Certificate } from 'node:crypto'
import type { PeerCertificate } from 'node:tls'
import { ZhError } from '../errors.js'
import { principalFromAltNames } from './altnames.js'
import { inspectCertificate, splitPemBundle, toX509, type CertInfo } from './inspect.js'
import type { PrincipalKind } from './uri.js'

/** What else a certificate must satisfy besides chaining to the CA. */
export interface VerifyOptions {
  /** The time to check validity at; default now. */
  now?: Date
  /** The network the principal URI must name. */
  network?: string
  /** The principal kind the URI must name. */
  kind?: PrincipalKind
  /** The principal id the URI must name. */
  id?: string
  /** An extended key usage the certificate must carry. */
  eku?: 'clientAuth' | 'serverAuth'
}

/** A verified certificate: always names exactly one principal. */
export type VerifiedCertificate = CertInfo & {
  uri: string
  principal: { network: string; kind: PrincipalKind; id: string }
}

const EKU_OID = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const

/**
 * Verifies a leaf certificate of a zerohook network, synchronously: it is not a CA, it is
 * signed by one of the CA certificates in `caPem` (a PEM bundle; leaves are issued directly by a
 * CA, no intermediates are searched), it and that CA are inside their validity windows at
 * `opts.now`, it carries the requested EKU, and it names exactly one principal matching
 * `opts.network` / `opts.kind` / `opts.id`.
 *
 * Throws ZH_CERT_INVALID when the certificate or CA bundle does not parse, ZH_CERT_EKU_INVALID
 * for a missing EKU, and ZH_CERT_CHAIN_INVALID for everything else. Revocation is not checked
 * here: the controller and routers look the fingerprint up in their revocation lists.
 *
 * The parsed CA bundle and each leaf found signed by it are remembered (bounded; keyed by the
 * bundle text and the leaf's SHA-256 fingerprint), so verifying the same peer again checks no
 * signature; the validity windows, EKU and principal are checked on every call.
 *
 * @example
 * ```ts
 * const { principal } = verifyCertificate(socket.getPeerX509Certificate()!, caPem, { network: 'acme', eku: 'clientAuth' })
 * ```
 */
export function verifyCertificate(
  cert: string | Buffer | X509Certificate,
  caPem: string,
  opts: VerifyOptions = {},
): VerifiedCertificate {
  const leaf = toX509(cert)
  const trust = trustOf(caPem)
  const signed = signedLeaf(leaf, trust)

  const now = (opts.now ?? new Date()).getTime()
  for (const [what, c] of [
    ['certificate', signed.leafValidity],
    ['CA certificate', signed.caValidity],
  ] as const) {
    if (now < c.from) throw new ZhError('ZH_CERT_CHAIN_INVALID', `${what} not yet valid`)
    if (now > c.to) throw new ZhError('ZH_CERT_CHAIN_INVALID', `${what} expired`)
  }

  // Node names the extended key usage OIDs `keyUsage`; no extension at all is refused too.
  if (opts.eku && !signed.ekus.includes(EKU_OID[opts.eku])) {
    throw new ZhError('ZH_CERT_EKU_INVALID', `missing ${opts.eku}`)
  }

  const { info } = signed
  const { uri, principal } = info
  if (!uri || !principal) {
    throw new ZhError('ZH_CERT_CHAIN_INVALID', 'the certificate names no zerohook principal')
  }
  const mismatch = principalMismatch(principal, opts)
  if (mismatch) throw new ZhError('ZH_CERT_CHAIN_INVALID', mismatch)
  return { ...info, uri, principal: { ...principal } }
}

/** The CA certificates of a bundle, parsed once, and the leaves already found signed by one. */
interface Trust {
  cas: X509Certificate[]
  /** By leaf SHA-256 fingerprint (of the DER): what does not depend on the time or the options. */
  signed: Map<string, SignedLeaf>
}

/** What verifying a leaf's signature established, and what the other checks read from it. */
interface SignedLeaf {
  info: CertInfo
  ekus: readonly string[]
  leafValidity: { from: number; to: number }
  caValidity: { from: number; to: number }
}

/**
 * Most CA bundles and signed leaves per bundle kept. Parsing the CA and checking a signature cost
 * more than the rest of a verification together; a router or an endpoint sees few CA bundles and
 * a bounded set of peers, and the oldest entry goes first when more come.
 */
const MAX_BUNDLES = 8
const MAX_LEAVES = 4096
const trusts = new Map<string, Trust>()

function trustOf(caPem: string): Trust {
  let trust = trusts.get(caPem)
  if (!trust) {
    const cas = splitPemBundle(caPem).map(toX509)
    if (cas.length === 0) throw new ZhError('ZH_CERT_INVALID', 'the CA bundle holds no certificate')
    trust = { cas, signed: new Map() }
    remember(trusts, caPem, trust, MAX_BUNDLES)
  }
  return trust
}

/**
 * Checks that the leaf is not a CA and is signed by a CA of the bundle; remembered by the leaf's
 * fingerprint, so the same certificate is not verified again. Only success is remembered.
 */
function signedLeaf(leaf: X509Certificate, trust: Trust): SignedLeaf {
  const key = leaf.fingerprint256
  const known = trust.signed.get(key)
  if (known) return known
  if (leaf.ca) throw new ZhError('ZH_CERT_CHAIN_INVALID', 'a CA certificate is not a principal')
  const ca = trust.cas.find((c) => c.ca && leaf.checkIssued(c) && leaf.verify(c.publicKey))
  if (!ca) throw new ZhError('ZH_CERT_CHAIN_INVALID', 'not signed by a CA of this network')
  const validity = (c: X509Certificate) => ({
    from: Date.parse(c.validFrom),
    to: Date.parse(c.validTo),
  })
  const signed: SignedLeaf = {
    info: inspectCertificate(leaf),
    ekus: leaf.keyUsage ?? [],
    leafValidity: validity(leaf),
    caValidity: validity(ca),
  }
  remember(trust.signed, key, signed, MAX_LEAVES)
  return signed
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!)
  map.set(key, value)
}

/**
 * A `checkServerIdentity` for `tls.connect` / `https.request` that checks the server names the
 * expected principal in its URI SAN. Node's default check only knows DNS names and IPs, and the
 * host a client dials says nothing about which zerohook component answers. The chain itself is
 * still checked by `rejectUnauthorized: true` with the network CA as `ca`.
 *
 * @example
 * ```ts
 * tls.connect({ host, port, ca: caPem, cert, key, rejectUnauthorized: true,
 *   checkServerIdentity: checkServerPrincipal({ network: 'acme', kind: 'controller' }) })
 * ```
 */
export function checkServerPrincipal(expect: {
  network: string
  kind: PrincipalKind
  id?: string
}): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const principal = principalFromAltNames(cert.subjectaltname)
    if (!principal) {
      return new ZhError(
        'ZH_SERVER_IDENTITY_INVALID',
        `${host}: the certificate names no zerohook principal`,
      )
    }
    const mismatch = principalMismatch(principal, expect)
    return mismatch ? new ZhError('ZH_SERVER_IDENTITY_INVALID', `${host}: ${mismatch}`) : undefined
  }
}

function principalMismatch(
  actual: { network: string; kind: PrincipalKind; id: string },
  expect: { network?: string; kind?: PrincipalKind; id?: string },
): string | undefined {
  for (const field of ['network', 'kind', 'id'] as const) {
    const want = expect[field]
    if (want !== undefined && actual[field] !== want) {
      return `${field} is ${JSON.stringify(actual[field])}, expected ${JSON.stringify(want)}`
    }
  }
  return undefined
}
