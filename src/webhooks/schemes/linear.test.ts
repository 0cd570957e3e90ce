import { runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'linear',
  materials: [
    { sign: { secret: 'lin_wh_secret_1' }, verify: { secret: 'lin_wh_secret_1' } },
    { sign: { secret: 'lin_wh_secret_2' }, verify: { secret: 'lin_wh_secret_2' } },
  ],
  body: ({ ts, filler }) =>
    JSON.stringify({
      action: 'create',
      type: 'Issue',
      data: { filler },
      webhookTimestamp: ts * 1000,
    }),
  signatureHeader: 'Linear-Signature',
  idHeader: 'Linear-Delivery',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
  emptyBodyCode: 'ZH_WEBHOOK_TIMESTAMP_INVALID',
})
