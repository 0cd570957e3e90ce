import { runCompliance } from './compliance.test-util.js'

const A = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
const B = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

runCompliance({
  scheme: 'svix',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'svix-signature',
  timestampHeader: 'svix-timestamp',
  idHeader: 'svix-id',
  idSigned: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})
