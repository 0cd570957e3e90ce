import { describe, expect, it } from 'vitest'
import { generateWebhookKeyPair, generateWebhookSecret } from './secrets.js'
import { signWebhook } from './sign.js'
import { verifyWebhook } from './verify.js'

const body = Buffer.from('{"type":"t"}')

describe('new secrets and keys', () => {
  it('a whsec_ secret of 32 random bytes that signs and verifies', async () => {
    const secret = generateWebhookSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(generateWebhookSecret()).not.toBe(secret)
    const headers = signWebhook({ scheme: 'standard', secret, body })
    await expect(
      verifyWebhook({ scheme: 'standard', secret, headers, body }),
    ).resolves.toMatchObject({ scheme: 'standard' })
  })

  it('a whsk_/whpk_ pair: v1a signatures verify with the public key only', async () => {
    const { privateKey, publicKey } = generateWebhookKeyPair()
    expect(privateKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/)
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/)
    const headers = signWebhook({ scheme: 'standard', key: privateKey, body })
    expect(headers['webhook-signature']).toMatch(/^v1a,/)
    await expect(
      verifyWebhook({ scheme: 'standard', publicKey, headers, body }),
    ).resolves.toBeTruthy()
    const other = generateWebhookKeyPair().publicKey
    await expect(
      verifyWebhook({ scheme: 'standard', publicKey: other, headers, body }),
    ).rejects.toMatchObject({
      code: 'ZH_WEBHOOK_SIGNATURE_INVALID',
    })
  })
})
