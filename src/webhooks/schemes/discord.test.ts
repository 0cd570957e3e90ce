import { ed25519Pair, runCompliance } from './compliance.test-util.js'

const k1 = ed25519Pair()
const k2 = ed25519Pair()

runCompliance({
  scheme: 'discord',
  materials: [
    { sign: { key: k1.seedHex }, verify: { publicKey: k1.publicHex } },
    { sign: { key: k2.seedHex }, verify: { publicKey: k2.publicHex } },
  ],
  signatureHeader: 'X-Signature-Ed25519',
  timestampHeader: 'X-Signature-Timestamp',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})
