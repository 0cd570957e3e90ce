import { runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'shopify',
  materials: [
    { sign: { secret: 'shpss_client_secret_1' }, verify: { secret: 'shpss_client_secret_1' } },
    { sign: { secret: 'shpss_client_secret_2' }, verify: { secret: 'shpss_client_secret_2' } },
  ],
  signatureHeader: 'X-Shopify-Hmac-Sha256',
  idHeader: 'X-Shopify-Event-Id',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})
