import { generateKeyPairSync } from 'node:crypto'
import { expect } from 'vitest'
import type { ZhCode } from '../../errors.js'
import { getScheme } from '../registry.js'
import { signWebhook } from '../sign.js'
import type {
  KeyFetcher,
  PrivateKeyInput,
  SchemeOptions,
  PublicKeyInput,
  SchemeName,
  Secret,
  VerifiedWebhook,
  VerifyOptions,
} from '../types.js'
import { verifyWebhook } from '../verify.js'

/** One signing identity: what signs, and what verifies it. */
export interface Material {
  readonly sign: { readonly secret?: Secret; readonly key?: PrivateKeyInput }
  readonly verify: { readonly secret?: Secret; readonly publicKey?: PublicKeyInput }
}

/** How a scheme is driven through the shared suite. */
export interface SchemeFixture {
  readonly scheme: SchemeName
  /** Label for a second run of one scheme (e.g. `v1a`). */
  readonly label?: string
  /** The current identity and another one (the wrong secret, then the rotated-in one). */
  readonly materials: readonly [Material, Material]
  readonly url?: string
  /** The HTTP method signed and verified (HubSpot, Contentful); default POST. */
  readonly method?: string
  /** Scheme options given to both sign and verify. */
  readonly options?: SchemeOptions
  /** The key fetcher verification uses (schemes signed with published keys). */
  readonly fetchKey?: KeyFetcher
  /** The body signed at `ts` for message `id`; `filler` pads it. Default: a JSON event. */
  readonly body?: (ctx: { ts: number; id: string; filler: string }) => string
  readonly signatureHeader: string
  readonly timestampHeader?: string
  /** True when this mode signs no time although the scheme can (GitLab's secret token). */
  readonly untimed?: boolean
  /** True when the secret authenticates the sender but does not sign the body (GitLab token). */
  readonly bodyUnsigned?: boolean
  /** The header that carries the id, when the id comes from one. */
  readonly idHeader?: string
  /** True when `idHeader` is covered by the signature; false when anyone can change it. */
  readonly idSigned?: boolean
  /** True when the id is the body's field (`body` writes it). */
  readonly idInBody?: boolean
  /** Sign with several secrets at once (several signatures in the message). */
  readonly multiSign?: boolean
  /** What a garbage signature header (`not a signature`) gives. */
  readonly garbageCode: ZhCode
  /** What `<sig>, <sig>` (two headers joined by a proxy) gives; default malformed. */
  readonly commaJoinedCode?: ZhCode
  /** What an empty signed body gives; default it verifies. */
  readonly emptyBodyCode?: ZhCode
}

/** The fixed signing time of the suite. */
export const T0 = 1_700_000_000
/** The default message id of the suite. */
export const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'

/** Asserts that `promise` rejects with a ZhError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ZhCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'ZhError', code })
}

/** A copy of `headers` without `name` (any spelling). */
export function omit(headers: Record<string, string>, name: string): Record<string, string> {
  const lower = name.toLowerCase()
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== lower))
}

/** A fresh Ed25519 pair in every encoding the schemes accept. */
export function ed25519Pair(): { whsk: string; whpk: string; seedHex: string; publicHex: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
  return {
    whsk: `whsk_${seed.toString('base64')}`,
    whpk: `whpk_${raw.toString('base64')}`,
    seedHex: seed.toString('hex'),
    publicHex: raw.toString('hex'),
  }
}

const defaultBody = ({ ts, id, filler }: { ts: number; id: string; filler: string }): string =>
  JSON.stringify({ id, type: 'build.finished', ts, data: { n: 42, filler } })

/** Sign and verify helpers bound to one fixture. */
export function driver(f: SchemeFixture) {
  const tolerance = getScheme(f.scheme).tolerance
  const makeBody = f.body ?? defaultBody
  const bodyOf = (ts = T0, filler = '', id = ID): Buffer =>
    Buffer.from(makeBody({ ts, id, filler }))

  const sign = (materials: readonly Material[], body: Buffer, ts = T0, id = ID) => {
    const secrets = materials.flatMap((m) => (m.sign.secret === undefined ? [] : [m.sign.secret]))
    const keys = materials.flatMap((m) => (m.sign.key === undefined ? [] : [m.sign.key]))
    return signWebhook({
      scheme: f.scheme,
      ...(secrets.length > 0 ? { secret: secrets } : {}),
      ...(keys.length > 0 ? { key: keys } : {}),
      ...(f.url ? { url: f.url } : {}),
      ...(f.method ? { method: f.method } : {}),
      ...(f.options ? { options: f.options } : {}),
      id,
      timestamp: ts,
      body,
    })
  }

  const verifierOf = (materials: readonly Material[]): Partial<VerifyOptions> => {
    const secrets = materials.flatMap((m) =>
      m.verify.secret === undefined ? [] : [m.verify.secret],
    )
    const keys = materials.flatMap((m) =>
      m.verify.publicKey === undefined ? [] : [m.verify.publicKey],
    )
    return {
      ...(secrets.length > 0 ? { secrets } : {}),
      ...(keys.length > 0 ? { publicKey: keys } : {}),
    }
  }

  const verify = (
    headers: VerifyOptions['headers'],
    body: Uint8Array,
    more: Partial<VerifyOptions> = {},
  ): Promise<VerifiedWebhook> =>
    verifyWebhook({
      scheme: f.scheme,
      ...verifierOf([f.materials[0]]),
      ...(f.url ? { url: f.url } : {}),
      ...(f.method ? { method: f.method } : {}),
      ...(f.options ? { options: f.options } : {}),
      ...(f.fetchKey ? { fetchKey: f.fetchKey } : {}),
      headers,
      body,
      now: T0,
      ...more,
    })

  const signed = (ts = T0): { headers: Record<string, string>; body: Buffer } => {
    const body = bodyOf(ts)
    return { headers: sign([f.materials[0]], body, ts), body }
  }

  return {
    timed: tolerance !== null && f.untimed !== true,
    tolerance: tolerance ?? 0,
    bodyOf,
    sign,
    verifierOf,
    verify,
    signed,
  }
}

/** `headers` with `name` set to `value` (any earlier spelling removed). */
export function replace(
  headers: Record<string, string>,
  name: string,
  value: string | string[],
): Record<string, string | string[]> {
  return { ...omit(headers, name), [name]: value }
}

/** The value of `name` in `headers`, any spelling. */
export function valueOf(headers: Record<string, string>, name: string): string {
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())
  if (!found) throw new Error(`the signer set no ${name}`)
  return found[1]
}
