import { ZhError } from '../errors.js'
import {
  decodeEnrollToken,
  verifyEnrollToken,
  type EnrollClaims,
} from '../controller/enrollment/token.js'
import type { EnrollResult } from '../controller/ops/enroll.js'
import { publicKeyFromJwk } from '../controller/signing-key.js'
import { fingerprint, splitPemBundle } from '../pki/inspect.js'
import type { KeyType } from '../pki/keys.js'
import { verifyCertificate } from '../pki/verify.js'
import { requestJson, type ClientTls } from './controller-client.js'
import { isUnreachable } from './controller-pool.js'
import { orderControllers } from './controller-urls.js'
import { knockOf, type IdentityFile } from './identity-file.js'

/**
 * Enrolls with a one-time token: fetches the CA bundle and checks it against the token's
 * fingerprint, checks the controller's certificate and the token's signature against it, makes a
 * key pair and CSR locally (the private key never leaves this process), and returns the identity.
 *
 * @example
 * const identity = await enrollWithToken(await readFile('jenkins.jwt', 'utf8'))
 * await saveIdentity('jenkins.json', identity)
 */
export async function enrollWithToken(
  token: string,
  opts: { keyType?: KeyType } = {},
): Promise<IdentityFile> {
  const claims = decodeEnrollToken(token.trim())
  // The replica that issued the token first, then the others it named: any of them enrolls,
  // and each is checked against the token's CA fingerprint exactly like the first.
  const urls = orderControllers(undefined, [claims.url], claims.urls ?? [])
  let key: Promise<{ keyPem: string; csrPem: string }> | undefined
  const keyAndCsr = () =>
    (key ??= import('../pki/csr.js').then((m) =>
      m.createKeyAndCsr({ commonName: claims.sub, keyType: opts.keyType }),
    ))
  let last: unknown
  for (const url of urls.length > 0 ? urls : [claims.url]) {
    try {
      return await enrollAt(url, token.trim(), claims, keyAndCsr)
    } catch (err) {
      if (!isUnreachable(err)) throw err
      last = err
    }
  }
  throw last
}

async function enrollAt(
  url: string,
  token: string,
  claims: EnrollClaims,
  keyAndCsr: () => Promise<{ keyPem: string; csrPem: string }>,
): Promise<IdentityFile> {
  const first = await requestJson<{ network: string; ca: string }>(
    url,
    { mode: 'unverified' },
    { method: 'GET', path: '/v1/ca' },
  )
  const bundle = first.data.ca
  const caCerts = splitPemBundle(bundle)
  if (caCerts.length === 0 || !caCerts.some((pem) => fingerprint(pem) === claims.caf)) {
    throw new ZhError('ZH_CA_FINGERPRINT_MISMATCH', url)
  }
  // The unverified connection's server certificate must itself belong to the checked CA.
  try {
    verifyCertificate(first.peerCertificate.raw, bundle, {
      network: claims.net,
      kind: 'controller',
    })
  } catch (err) {
    throw new ZhError('ZH_SERVER_IDENTITY_INVALID', `${url}: ${(err as Error).message}`)
  }
  const tls: ClientTls = { mode: 'verified', network: claims.net, ca: bundle }
  const network = await requestJson<{ network: string; grantKey: IdentityFile['grantKey'] }>(
    url,
    tls,
    {
      method: 'GET',
      path: '/v1/network',
    },
  )
  await verifyEnrollToken(token, publicKeyFromJwk(network.data.grantKey), {
    network: claims.net,
  })
  const { keyPem, csrPem } = await keyAndCsr()
  const enrolled = await requestJson<EnrollResult>(url, tls, {
    method: 'POST',
    path: '/v1/enroll',
    body: { token, csr: csrPem },
  })
  const r = enrolled.data
  return {
    version: 1,
    id: r.id,
    name: r.name,
    kind: r.kind,
    network: r.network,
    controller: r.controller,
    controllers: enrolledControllers(r, enrolled.controllers, url),
    certificate: r.certificate,
    key: keyPem,
    ca: r.ca,
    grantKey: r.grantKey,
    ...knockOf(r),
  }
}

/**
 * The replicas an enrollment answer names: its `controllers` (newer controllers), else its
 * header, and the URL the token named (it just answered); the controller's own URL first.
 */
function enrolledControllers(r: EnrollResult, header: string[], tokenUrl: string): string[] {
  // Read as unknown: an older controller sends no list, and a junk entry is skipped, not trusted.
  const listed: unknown = (r as { controllers?: unknown }).controllers
  const body = Array.isArray(listed)
    ? orderControllers(
        undefined,
        listed.filter((url): url is string => typeof url === 'string'),
      )
    : []
  return orderControllers(undefined, [r.controller], body.length > 0 ? body : header, [tokenUrl])
}
