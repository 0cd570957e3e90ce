import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { omit, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'bitbucket',
  materials: [
    { sign: { secret: 'bb-secret-1' }, verify: { secret: 'bb-secret-1' } },
    { sign: { secret: 'bb-secret-2' }, verify: { secret: 'bb-secret-2' } },
  ],
  signatureHeader: 'X-Hub-Signature',
  idHeader: 'X-Request-UUID',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('bitbucket specifics', () => {
  it('takes the Data Center X-Request-Id, else a body digest', async () => {
    const body = Buffer.from('{"eventKey":"repo:refs_changed"}')
    const headers = omit(
      signWebhook({
        scheme: 'bitbucket',
        secret: 's',
        body,
      }),
      'X-Request-UUID',
    )
    await expect(
      verifyWebhook({
        scheme: 'bitbucket',
        secret: 's',
        headers: { ...headers, 'X-Request-Id': 'dc-1' },
        body,
      }),
    ).resolves.toMatchObject({ id: 'dc-1' })
    const result = await verifyWebhook({ scheme: 'bitbucket', secret: 's', headers, body })
    expect(result.id).toMatch(/^sha256:/)
  })
})
