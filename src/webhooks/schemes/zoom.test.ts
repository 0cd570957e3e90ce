import { describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { expectCode, runCompliance } from './compliance.test-util.js'
import { zoomUrlValidation } from './zoom.js'

const A = 'zoom-secret-token-1'

runCompliance({
  scheme: 'zoom',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'zoom-secret-token-2' }, verify: { secret: 'zoom-secret-token-2' } },
  ],
  signatureHeader: 'x-zm-signature',
  timestampHeader: 'x-zm-request-timestamp',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('zoom URL validation', () => {
  it('answers endpoint.url_validation with the plain and the HMAC-ed token', () => {
    const body = Buffer.from(
      JSON.stringify({
        event: 'endpoint.url_validation',
        payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
        event_ts: 1654503849680,
      }),
    )
    const expected = createHmac('sha256', A).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex')
    expect(zoomUrlValidation(body, A)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: expected,
    })
  })

  it('returns null for other events and refuses a challenge without a token', async () => {
    expect(zoomUrlValidation(Buffer.from('{"event":"meeting.started"}'), A)).toBeNull()
    expect(zoomUrlValidation(Buffer.from('not json'), A)).toBeNull()
    await expectCode(
      Promise.resolve().then(() =>
        zoomUrlValidation(Buffer.from('{"event":"endpoint.url_validation","payload":{}}'), A),
      ),
      'ZH_WEBHOOK_BODY_INVALID',
    )
  })
})
