import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'pagerduty',
  materials: [
    {
      sign: { secret: 'pd-subscription-secret-1' },
      verify: { secret: 'pd-subscription-secret-1' },
    },
    {
      sign: { secret: 'pd-subscription-secret-2' },
      verify: { secret: 'pd-subscription-secret-2' },
    },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      event: {
        id,
        event_type: 'incident.triggered',
        resource_type: 'incident',
        data: { id: 'PGR0VU2', filler },
      },
    }),
  signatureHeader: 'X-PagerDuty-Signature',
  idInBody: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

// PagerDuty/go-pagerduty, webhookv3/webhookv3_test.go.
const secret = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK'
const body = Buffer.from(
  '{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}',
)
const valid = 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd'
const mismatch = 'v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5'

const verify = (header: string, payload = body) =>
  verifyWebhook({
    scheme: 'pagerduty',
    secret,
    headers: { 'x-pagerduty-signature': header },
    body: payload,
  })

describe('pagerduty published vector', () => {
  it("verifies the Go client's example, and takes event.id as the id", async () => {
    await expect(verify(valid)).resolves.toMatchObject({
      id: '01BWDWL3NYY7LUFPZCC28QUCMK',
      timestamp: null,
    })
    expect(signWebhook({ scheme: 'pagerduty', secret, body })).toEqual({
      'X-PagerDuty-Signature': valid,
    })
  })

  it("refuses the Go client's mismatching signature, alone or with others", async () => {
    await expectCode(verify(mismatch), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expect(verify(`${mismatch},${valid}`)).resolves.toBeTruthy()
  })
})

describe('pagerduty specifics', () => {
  it('ignores other versions but needs a v1', async () => {
    await expect(verify(`v2=abcd,${valid}`)).resolves.toBeTruthy()
    await expectCode(verify('v2=abcd'), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
  })

  it('caps the entries and refuses empty or spaced ones', async () => {
    await expectCode(verify(Array(17).fill(valid).join(',')), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expect(verify(Array(16).fill(valid).join(','))).resolves.toBeTruthy()
    await expectCode(verify(`${valid},`), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(`v1= ${valid.slice(3)}`), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })
})
