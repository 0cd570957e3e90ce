import { createHash, generateKeyPairSync } from 'node:crypto'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { snsIdentity } from '../src/webhooks/schemes/sns-identity.test-util.js'
import type { SchemeName, SignOptions, VerifyOptions } from '../src/webhooks/index.js'

/** A signed message of about 1 KiB and what verifies it. */
export interface SignedMessage {
  readonly headers: Record<string, string>
  readonly body: Buffer
  readonly verify: Omit<VerifyOptions, 'scheme' | 'headers' | 'body'>
}

interface Context {
  readonly signWebhook: (options: SignOptions) => Record<string, string>
  /** Where the webhooks module was loaded from (dist/webhooks/ or src/webhooks/). */
  readonly base: URL
}

type Fixture = (ctx: Context, scheme: SchemeName) => SignedMessage | Promise<SignedMessage>

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const URL_SIGNED = 'https://hooks.example.com/webhook'
const NOW = Math.floor(Date.now() / 1000)
const FILLER = 'x'.repeat(900)

const json = (value: object): Buffer => Buffer.from(JSON.stringify(value))
const event = json({ id: 'evt_bench', type: 'bench.event', data: { filler: FILLER } })

/** Signs `body` with `sign` (the URL and the time are shared) and verifies with `verify`. */
function signed(
  ctx: Context,
  scheme: SchemeName,
  sign: Partial<SignOptions>,
  verify: SignedMessage['verify'],
  body: Buffer = event,
): SignedMessage {
  const shared = { url: URL_SIGNED, ...(sign.options ? { options: sign.options } : {}) }
  const headers = ctx.signWebhook({
    scheme,
    id: 'msg_bench',
    timestamp: NOW,
    body,
    ...shared,
    ...sign,
  })
  return { headers, body, verify: { ...shared, now: NOW, ...verify } }
}

const secretFixture =
  (secret: string, body?: Buffer): Fixture =>
  (ctx, scheme) =>
    signed(ctx, scheme, { secret }, { secret }, body)

// The public JWK, with its RFC 7638 thumbprint as the kid (the signers put that in the header).
const jwkOf = (pair: ReturnType<typeof generateKeyPairSync>, more: object = {}): string => {
  const jwk = pair.publicKey.export({ format: 'jwk' })
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n }
  const kid = createHash('sha256').update(JSON.stringify(members)).digest('base64url')
  return JSON.stringify({ ...jwk, kid, ...more })
}

/**
 * What each scheme needs beyond a shared secret in headers: keys, options, a body of its own
 * form, a key fetcher. A scheme without an entry is signed and verified with one secret.
 */
const fixtures: Partial<Record<SchemeName, Fixture>> = {
  discord: (ctx, scheme) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
    return signed(ctx, scheme, { key: seed.toString('hex') }, { publicKey: raw.toString('hex') })
  },
  linear: secretFixture(
    'lin_wh_bench_secret',
    json({
      action: 'create',
      type: 'Issue',
      data: { filler: FILLER },
      webhookTimestamp: NOW * 1000,
    }),
  ),
  msteams: secretFixture('+ZaRRMC8+mpnfGaGsBOmkIFt98bttL5YQRq3p2tXgcE='),
  postmark: secretFixture('postmark:bench-password'),
  pipedrive: secretFixture('pipedrive:bench-password'),
  sendgrid: (ctx, scheme) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const body = json([
      { email: 'a@example.com', event: 'delivered', sg_event_id: 'e1', filler: FILLER },
    ])
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    return signed(ctx, scheme, { key: pem }, { publicKey: spki }, body)
  },
  plaid: (ctx, scheme) => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const body = json({
      webhook_type: 'TRANSACTIONS',
      item_id: 'item_1',
      environment: 'sandbox',
      filler: FILLER,
    })
    return signed(ctx, scheme, { key: pair.privateKey }, { publicKey: jwkOf(pair) }, body)
  },
  'google-pubsub': (ctx, scheme) => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const options = {
      audience: URL_SIGNED,
      serviceAccountEmail: 'pusher@bench.iam.gserviceaccount.com',
    }
    const body = json({
      message: {
        attributes: { filler: FILLER },
        data: 'aGVsbG8=',
        messageId: '42',
        publishTime: new Date(NOW * 1000).toISOString(),
      },
      subscription: 'projects/bench/subscriptions/push',
    })
    const publicKey = jwkOf(pair, { alg: 'RS256', use: 'sig' })
    return signed(ctx, scheme, { key: pair.privateKey, options }, { publicKey, options }, body)
  },
  mailgun: async (ctx) => {
    const { mailgunSignature } = (await import(
      helpers(ctx.base, 'mailgun')
    )) as typeof import('../src/webhooks/schemes/mailgun.js')
    const secret = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'
    const signature = mailgunSignature(
      secret,
      NOW,
      'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0',
    )
    const body = json({
      signature,
      'event-data': { event: 'delivered', id: 'evt-1', filler: FILLER },
    })
    return { headers: { 'content-type': 'application/json' }, body, verify: { secret, now: NOW } }
  },
  'aws-sns': async (ctx) => {
    const { signSnsMessage } = (await import(
      helpers(ctx.base, 'aws-sns')
    )) as typeof import('../src/webhooks/schemes/aws-sns.js')
    const { key, cert } = await snsIdentity(NOW - 86400, NOW + 86400)
    const certUrl =
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem'
    const topic = 'arn:aws:sns:us-east-1:123456789012:bench'
    const message = {
      Type: 'Notification' as const,
      MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      TopicArn: topic,
      Message: JSON.stringify({ filler: FILLER }),
      Timestamp: new Date(NOW * 1000).toISOString(),
      SigningCertURL: certUrl,
    }
    const body = Buffer.from(signSnsMessage(message, key))
    const fetchKey = (request: { url: string }) =>
      request.url === certUrl ? Promise.resolve(cert) : Promise.reject(new Error('404'))
    return { headers: {}, body, verify: { options: { topicArns: [topic] }, fetchKey, now: NOW } }
  },
}

/** The signed message and verify options of `scheme`'s bench figure. */
export async function schemeFixture(scheme: SchemeName, ctx: Context): Promise<SignedMessage> {
  return (fixtures[scheme] ?? secretFixture(SECRET))(ctx, scheme)
}

const helpers = (base: URL, scheme: string): string =>
  pathToFileURL(fileURLToPath(new URL(`schemes/${scheme}.js`, base))).href
