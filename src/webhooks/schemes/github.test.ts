import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, omit, runCompliance } from './compliance.test-util.js'

const A = "It's a Secret to Everybody"
const B = 'another secret'

runCompliance({
  scheme: 'github',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'X-Hub-Signature-256',
  idHeader: 'X-GitHub-Delivery',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('github specifics', () => {
  const body = Buffer.from('Hello, World!')
  const id = '72d3162e-cc78-11e3-81ab-4c9367dc0958'

  it('accepts the legacy sha1 header only when asked', async () => {
    const signed = signWebhook({ scheme: 'github', secret: A, body, id, legacySha1: true })
    expect(signed['X-Hub-Signature']).toMatch(/^sha1=[0-9a-f]{40}$/)
    const legacy = omit(signed, 'X-Hub-Signature-256')
    await expectCode(
      verifyWebhook({ scheme: 'github', secret: A, headers: legacy, body }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    await expect(
      verifyWebhook({ scheme: 'github', secret: A, headers: legacy, body, legacySha1: true }),
    ).resolves.toMatchObject({ id })
  })

  it('refuses an unknown algorithm prefix and a missing delivery id', async () => {
    const signed = signWebhook({ scheme: 'github', secret: A, body, id })
    const sha512 = {
      ...signed,
      'X-Hub-Signature-256': signed['X-Hub-Signature-256']!.replace('sha256=', 'sha512='),
    }
    await expectCode(
      verifyWebhook({ scheme: 'github', secret: A, headers: sha512, body }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    const noId = omit(signed, 'X-GitHub-Delivery')
    await expectCode(
      verifyWebhook({ scheme: 'github', secret: A, headers: noId, body }),
      'ZH_WEBHOOK_HEADER_MISSING',
    )
  })

  it('verifies the signature as GitHub computes it, for any secret and body size', async () => {
    const long = 'k'.repeat(100) // longer than a block: hashed first
    for (const secret of [A, long, Buffer.from([0, 1, 2, 255])]) {
      for (const size of [0, 1024, 20 * 1024]) {
        const payload = Buffer.alloc(size, 'a')
        const hex = createHmac('sha256', secret).update(payload).digest('hex')
        for (const signature of [`sha256=${hex}`, `sha256=${hex.toUpperCase()}`]) {
          const headers = { 'X-Hub-Signature-256': signature, 'X-GitHub-Delivery': id }
          await expect(
            verifyWebhook({ scheme: 'github', secret, headers, body: payload }),
          ).resolves.toMatchObject({ id })
        }
        const cut = { 'X-Hub-Signature-256': `sha256=${hex.slice(0, -2)}`, 'X-GitHub-Delivery': id }
        await expectCode(
          verifyWebhook({ scheme: 'github', secret, headers: cut, body: payload }),
          'ZH_WEBHOOK_SIGNATURE_INVALID',
        )
      }
    }
  })

  it('reads a byte secret afresh on every call (changed in place, the new bytes count)', async () => {
    const secret = Buffer.from(A)
    const headers = signWebhook({ scheme: 'github', secret: A, body, id })
    await expect(verifyWebhook({ scheme: 'github', secret, headers, body })).resolves.toBeTruthy()
    secret.writeUInt8(secret[0]! ^ 1, 0)
    await expectCode(
      verifyWebhook({ scheme: 'github', secret, headers, body }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('refuses an empty secret', async () => {
    const headers = signWebhook({ scheme: 'github', secret: A, body, id })
    await expectCode(
      verifyWebhook({ scheme: 'github', secret: '', headers, body }),
      'ZH_WEBHOOK_SECRET_INVALID',
    )
  })
})
