import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { expectCode } from './schemes/compliance.test-util.js'
import { signWebhook } from './sign.js'
import { verifyWebhook } from './verify.js'

interface Vectors {
  standard: {
    valid: { secret: string; id: string; timestamp: number; payload: string; signature: string }[]
    must_also_pass_when_mixed_with_decoys: string[]
    must_fail: string[]
    tolerance_seconds: number
  }
  github: { secret: string; payload: string; header: string; signature: string }
  slack: { secret: string; timestamp: number; payload: string; signature: string }
  twilio: { auth_token: string; url: string; params: Record<string, string>; signature: string }
}

// The published vectors shared by every implementation (../shared/vectors from the repo root).
const vectors = JSON.parse(
  readFileSync(new URL('../../../shared/vectors/webhooks.json', import.meta.url), 'utf8'),
) as Vectors

describe('published vectors: standard', () => {
  const std = vectors.standard
  const headersOf = (
    v: Vectors['standard']['valid'][number],
    signature: string,
    timestamp = String(v.timestamp),
  ) => ({
    'webhook-id': v.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  })
  const verify = (
    v: Vectors['standard']['valid'][number],
    signature: string,
    now = v.timestamp,
    timestamp?: string,
  ) =>
    verifyWebhook({
      scheme: 'standard',
      secret: v.secret,
      headers: headersOf(v, signature, timestamp),
      body: Buffer.from(v.payload),
      now,
    })

  for (const v of std.valid) {
    it(`verifies and reproduces ${v.id}`, async () => {
      await expect(verify(v, v.signature)).resolves.toEqual({
        id: v.id,
        timestamp: v.timestamp,
        scheme: 'standard',
        replayKeys: [],
      })
      const signed = signWebhook({
        scheme: 'standard',
        secret: v.secret,
        id: v.id,
        timestamp: v.timestamp,
        body: v.payload,
      })
      expect(signed['webhook-signature']).toBe(v.signature)
    })

    it('passes when mixed with decoys, before or after', async () => {
      const decoys = std.must_also_pass_when_mixed_with_decoys
      await expect(verify(v, [...decoys, v.signature].join(' '))).resolves.toBeTruthy()
      await expect(verify(v, [v.signature, ...decoys].join(' '))).resolves.toBeTruthy()
    })

    it('fails every must_fail signature with its code', async () => {
      const codes: Record<string, string> = {
        'v1,dawfeoifkpqwoekfpqoekf': 'ZH_WEBHOOK_SIGNATURE_INVALID',
        'v1,': 'ZH_WEBHOOK_SIGNATURE_INVALID',
        'v1,g0hM9SsE': 'ZH_WEBHOOK_SIGNATURE_INVALID',
      }
      for (const signature of std.must_fail) {
        const code = codes[signature] ?? 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED'
        await expectCode(verify(v, signature), code as 'ZH_WEBHOOK_SIGNATURE_INVALID')
      }
      expect(std.must_fail).toHaveLength(4)
    })

    it(`fails beyond ${std.tolerance_seconds} s either way, and a non-decimal timestamp`, async () => {
      const tol = std.tolerance_seconds
      await expect(verify(v, v.signature, v.timestamp + tol)).resolves.toBeTruthy()
      await expect(verify(v, v.signature, v.timestamp - tol)).resolves.toBeTruthy()
      await expectCode(verify(v, v.signature, v.timestamp + tol + 1), 'ZH_WEBHOOK_TIMESTAMP_STALE')
      await expectCode(verify(v, v.signature, v.timestamp - tol - 1), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
      await expectCode(
        verify(v, v.signature, v.timestamp, `${v.timestamp}abc`),
        'ZH_WEBHOOK_TIMESTAMP_INVALID',
      )
    })
  }
})

describe('published vectors: providers', () => {
  it('github', async () => {
    const g = vectors.github
    const headers = { [g.header]: g.signature, 'X-GitHub-Delivery': 'vector-delivery' }
    await expect(
      verifyWebhook({ scheme: 'github', secret: g.secret, headers, body: Buffer.from(g.payload) }),
    ).resolves.toMatchObject({ id: 'vector-delivery' })
    expect(signWebhook({ scheme: 'github', secret: g.secret, body: g.payload })[g.header]).toBe(
      g.signature,
    )
  })

  it('slack', async () => {
    const s = vectors.slack
    const headers = {
      'X-Slack-Signature': s.signature,
      'X-Slack-Request-Timestamp': String(s.timestamp),
    }
    const body = Buffer.from(s.payload)
    await expect(
      verifyWebhook({ scheme: 'slack', secret: s.secret, headers, body, now: s.timestamp }),
    ).resolves.toMatchObject({ timestamp: s.timestamp })
    expect(
      signWebhook({ scheme: 'slack', secret: s.secret, timestamp: s.timestamp, body })[
        'X-Slack-Signature'
      ],
    ).toBe(s.signature)
  })

  it('twilio', async () => {
    const t = vectors.twilio
    const body = Buffer.from(new URLSearchParams(t.params).toString())
    const headers = { 'X-Twilio-Signature': t.signature }
    await expect(
      verifyWebhook({ scheme: 'twilio', secret: t.auth_token, url: t.url, headers, body }),
    ).resolves.toBeTruthy()
    expect(
      signWebhook({ scheme: 'twilio', secret: t.auth_token, url: t.url, body })[
        'X-Twilio-Signature'
      ],
    ).toBe(t.signature)
  })
})
