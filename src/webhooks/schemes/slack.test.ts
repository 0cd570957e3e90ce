import { runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'slack',
  materials: [
    {
      sign: { secret: '8f742231b10e8888abcd99yyyzzz85a5' },
      verify: { secret: '8f742231b10e8888abcd99yyyzzz85a5' },
    },
    { sign: { secret: 'another-signing-secret' }, verify: { secret: 'another-signing-secret' } },
  ],
  body: ({ ts, id, filler }) =>
    `token=xyz&team_id=T1&command=%2Fdeploy&text=${id}${filler}&ts=${ts}`,
  signatureHeader: 'X-Slack-Signature',
  timestampHeader: 'X-Slack-Request-Timestamp',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})
