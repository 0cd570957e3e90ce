import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'pipedrive',
  materials: [
    { sign: { secret: 'pipedrive:hook-password' }, verify: { secret: 'pipedrive:hook-password' } },
    { sign: { secret: 'pipedrive:new-password' }, verify: { secret: 'pipedrive:new-password' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({ meta: { action: 'change', entity: 'deal', id }, data: { title: filler } }),
  signatureHeader: 'Authorization',
  bodyUnsigned: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('pipedrive specifics', () => {
  it('accepts the header Pipedrive builds from the webhook user and password', async () => {
    const body = Buffer.from('{"meta":{"action":"create"}}')
    const authorization = `Basic ${Buffer.from('hook-user:hook pass').toString('base64')}`
    const result = await verifyWebhook({
      scheme: 'pipedrive',
      secret: 'hook-user:hook pass',
      headers: { authorization },
      body,
    })
    expect(result.id).toMatch(/^sha256:/)
  })
})
