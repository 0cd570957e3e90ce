import { beforeAll, describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import type { KeyRequest, VerifyOptions } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { signSnsMessage, type SnsMessageFields } from './aws-sns.js'
import { T0, expectCode } from './compliance.test-util.js'
import { snsIdentity as makeSnsIdentity, type SnsIdentity } from './sns-identity.test-util.js'

// aws-sns carries its signature in the body, which the header-based compliance suite cannot
// drive; these tests cover the same ground (round trip, tampering, other keys, times, malformed
// and missing fields, sizes, replay) plus the certificate URL, the topic and the handshake.

const CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem'
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:deploys'
const SUBSCRIBE_URL = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37`
const ISO_T0 = new Date(T0 * 1000).toISOString()

type Identity = SnsIdentity

// A key and certificate standing in for SNS's, valid around T0.
const snsIdentity = (notBefore = T0 - 86400, notAfter = T0 + 365 * 86400): Promise<Identity> =>
  makeSnsIdentity(notBefore, notAfter)

// Serves certificates by URL and confirms subscriptions; records every request.
function awsServer(certs: Readonly<Record<string, string>>) {
  const requests: KeyRequest[] = []
  const fetchKey = async (request: KeyRequest): Promise<string> => {
    requests.push(request)
    if (request.url.includes('Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>'
    const pem = certs[request.url]
    if (pem === undefined) throw new Error(`404 ${request.url}`)
    return pem
  }
  return { fetchKey, requests }
}

const notification = (over: Partial<SnsMessageFields> = {}): SnsMessageFields => ({
  Type: 'Notification',
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: TOPIC,
  Subject: 'Deploy',
  Message: '{"build":42,"state":"finished"}\nwith a newline',
  Timestamp: ISO_T0,
  SigningCertURL: CERT_URL,
  UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
  ...over,
})

const confirmation = (
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  over: Partial<SnsMessageFields> = {},
): SnsMessageFields => ({
  Type: type,
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  TopicArn: TOPIC,
  Token: '2336412f37',
  Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
  SubscribeURL: SUBSCRIBE_URL,
  Timestamp: ISO_T0,
  SigningCertURL: CERT_URL,
  ...over,
})

let sns: Identity
let other: Identity
beforeAll(async () => {
  ;[sns, other] = await Promise.all([snsIdentity(), snsIdentity()])
})

const edit = (body: string, change: (m: Record<string, unknown>) => void): Buffer => {
  const message = JSON.parse(body) as Record<string, unknown>
  change(message)
  return Buffer.from(JSON.stringify(message))
}

describe('aws-sns', () => {
  const setup = (certs: Record<string, string> = { [CERT_URL]: sns.cert }) => {
    const server = awsServer(certs)
    const verify = (body: Uint8Array, more: Partial<VerifyOptions> = {}) =>
      verifyWebhook({
        scheme: 'aws-sns',
        options: { topicArns: [TOPIC] },
        fetchKey: server.fetchKey,
        headers: {},
        body,
        now: T0,
        ...more,
      })
    return { ...server, verify }
  }

  it('round-trips versions 1 (SHA1withRSA) and 2 (SHA256withRSA); the id is MessageId', async () => {
    const { verify, requests } = setup()
    for (const version of ['1', '2'] as const) {
      const body = Buffer.from(signSnsMessage(notification(), sns.key, version))
      await expect(verify(body)).resolves.toEqual({
        id: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
        timestamp: T0,
        scheme: 'aws-sns',
        replayKeys: [],
      })
    }
    const bare = Buffer.from(signSnsMessage(notification({ Subject: undefined }), sns.key))
    await expect(verify(bare)).resolves.toBeTruthy()
    expect(requests).toEqual([{ url: CERT_URL, method: 'GET' }])
  })

  it('rejects a tampered field, an added Subject, another key, a cut or garbage signature', async () => {
    const { verify } = setup()
    const body = signSnsMessage(notification({ Subject: undefined }), sns.key)
    const invalid = [
      edit(body, (m) => (m.Message = 'something else')),
      edit(body, (m) => (m.Subject = 'added')),
      edit(body, (m) => (m.TopicArn = TOPIC.replace('deploys', 'deploys2'))),
      Buffer.from(signSnsMessage(notification(), other.key)),
      edit(body, (m) => (m.Signature = String(m.Signature).slice(0, -4))),
      edit(body, (m) => (m.Signature = 'not a signature')),
      edit(body, (m) => (m.SignatureVersion = '1')),
    ]
    const options = { topicArns: [TOPIC, TOPIC.replace('deploys', 'deploys2')] }
    for (const tampered of invalid) {
      await expectCode(verify(tampered, { options }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    }
  })

  it('refuses topics not in options.topicArns before fetching anything, and needs the option', async () => {
    const { verify, requests } = setup()
    const body = Buffer.from(signSnsMessage(notification(), sns.key))
    const elsewhere = { topicArns: ['arn:aws:sns:us-east-1:999999999999:deploys'] }
    await expectCode(verify(body, { options: elsewhere }), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    expect(requests).toHaveLength(0)
    await expect(verify(body, { options: { topicArns: TOPIC } })).resolves.toBeTruthy()
    const wrong: Record<string, string | string[]>[] = [
      {},
      { topicArns: [] },
      { topicArns: 'deploys' },
      { topicArn: TOPIC },
    ]
    for (const options of wrong) {
      await expectCode(verify(body, { options }), 'ZH_WEBHOOK_OPTIONS_INVALID')
    }
    await expectCode(verify(body, { secret: 'x' }), 'ZH_WEBHOOK_OPTIONS_INVALID')
    await expectCode(
      verifyWebhook({ scheme: 'aws-sns', headers: {}, body }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })

  it('fetches certificates only from https://sns.<region>.amazonaws.com[.cn]/<name>.pem', async () => {
    const cn = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem'
    const { verify, requests } = setup({ [CERT_URL]: sns.cert, [cn]: sns.cert })
    const at = (url: string) =>
      verify(Buffer.from(signSnsMessage(notification({ SigningCertURL: url }), sns.key)))
    await expect(at(cn)).resolves.toBeTruthy()
    const untrusted = [
      CERT_URL.replace('https:', 'http:'),
      'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-a.pem',
      'https://s3.amazonaws.com/bucket/SimpleNotificationService-a.pem',
      'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-a.pem',
      'https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem?x=1',
      'https://sns.us-east-1.amazonaws.com/dir/SimpleNotificationService-a.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.txt',
      'https://evil.example/sns.us-east-1.amazonaws.com/a.pem',
      'https://sns..amazonaws.com/a.pem',
      'not a url',
    ]
    for (const url of untrusted) await expectCode(at(url), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    expect(requests.map((r) => r.url)).toEqual([cn])
  })

  it('caches certificates by URL, forgets failed fetches, and checks their validity', async () => {
    const expired = await snsIdentity(T0 - 2 * 86400, T0 - 86400)
    const old = CERT_URL.replace('0123', '4567')
    const { verify, requests } = setup({ [CERT_URL]: sns.cert, [old]: expired.cert })
    const body = Buffer.from(signSnsMessage(notification(), sns.key))
    await verify(body)
    await verify(body)
    expect(requests).toHaveLength(1)
    const byExpired = Buffer.from(
      signSnsMessage(notification({ SigningCertURL: old }), expired.key),
    )
    await expectCode(verify(byExpired), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    const missing = CERT_URL.replace('0123', '8901')
    const unknown = Buffer.from(signSnsMessage(notification({ SigningCertURL: missing }), sns.key))
    await expectCode(verify(unknown), 'ZH_WEBHOOK_KEY_UNAVAILABLE')
    await expectCode(verify(unknown), 'ZH_WEBHOOK_KEY_UNAVAILABLE')
    expect(requests.filter((r) => r.url === missing)).toHaveLength(2)
    const notPem = setup({ [CERT_URL]: 'hello' })
    await expectCode(notPem.verify(body), 'ZH_WEBHOOK_KEY_UNAVAILABLE')
  })

  it('checks Timestamp against a 3600 s tolerance, and refuses a malformed one', async () => {
    const { verify } = setup()
    const body = Buffer.from(signSnsMessage(notification(), sns.key))
    await expectCode(verify(body, { now: T0 + 3601 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expectCode(verify(body, { now: T0 - 3601 }), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
    await expect(verify(body, { now: T0 + 3600 })).resolves.toBeTruthy()
    await expect(verify(body, { now: T0 - 3600 })).resolves.toBeTruthy()
    await expectCode(verify(body, { now: T0 + 3, tolerance: 2 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    for (const ts of [
      '2023-11-14 22:13:20Z',
      '2023-02-30T00:00:00.000Z',
      '1700000000',
      `${ISO_T0}x`,
    ]) {
      const bad = Buffer.from(signSnsMessage(notification({ Timestamp: ts }), sns.key))
      await expectCode(verify(bad), 'ZH_WEBHOOK_TIMESTAMP_INVALID')
    }
  })

  it('refuses bodies that are not SNS messages, unknown versions, and caps the size', async () => {
    const { verify } = setup()
    const body = signSnsMessage(notification(), sns.key)
    await expectCode(verify(Buffer.alloc(0)), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(Buffer.from('Type=Notification')), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(edit(body, (m) => (m.Type = 'Other'))), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(edit(body, (m) => delete m.MessageId)), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(edit(body, (m) => (m.Message = 42))), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(edit(body, (m) => (m.MessageId = 'a b'))), 'ZH_WEBHOOK_BODY_INVALID')
    for (const version of ['3', 2, undefined]) {
      await expectCode(
        verify(edit(body, (m) => (m.SignatureVersion = version))),
        'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
      )
    }
    const limit = { maxBodyBytes: Buffer.byteLength(body) - 1 }
    await expectCode(verify(Buffer.from(body), limit), 'ZH_WEBHOOK_BODY_TOO_LARGE')
    await expectCode(verify(body as unknown as Uint8Array), 'ZH_WEBHOOK_BODY_NOT_RAW')
  })

  it('checks the x-amz-sns-* headers against the body', async () => {
    const { verify } = setup()
    const body = Buffer.from(signSnsMessage(notification(), sns.key))
    const headers = {
      'x-amz-sns-message-type': 'Notification',
      'X-Amz-Sns-Message-Id': '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      'x-amz-sns-topic-arn': TOPIC,
    }
    await expect(verify(body, { headers })).resolves.toBeTruthy()
    await expect(verify(body, { headers: new Headers(headers) })).resolves.toBeTruthy()
    const lying = { ...headers, 'x-amz-sns-message-type': 'SubscriptionConfirmation' }
    await expectCode(verify(body, { headers: lying }), 'ZH_WEBHOOK_HEADER_MALFORMED')
    const twice = { 'x-amz-sns-topic-arn': [TOPIC, TOPIC] }
    await expectCode(verify(body, { headers: twice }), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('refuses a replayed MessageId, and remembers only verified messages', async () => {
    const { verify } = setup()
    const replay = createMemoryReplayStore()
    const body = Buffer.from(signSnsMessage(notification(), sns.key))
    await expectCode(
      verify(
        edit(body.toString(), (m) => (m.Message = 'x')),
        { replay },
      ),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expect(verify(body, { replay })).resolves.toMatchObject({
      replayKeys: ['aws-sns:id:22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324'],
    })
    await expectCode(verify(body, { replay }), 'ZH_WEBHOOK_REPLAYED')
    const next = Buffer.from(
      signSnsMessage(notification({ MessageId: 'e1f0c9a4-0000-4000-8000-000000000001' }), sns.key),
    )
    await expect(verify(next, { replay })).resolves.toBeTruthy()
  })

  it('has no header signature to make: signWebhook says to use signSnsMessage', () => {
    expect(() => signWebhook({ scheme: 'aws-sns', key: 'k', body: '{}' })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })
})

describe('aws-sns subscription handshake', () => {
  const setup = () => {
    const server = awsServer({ [CERT_URL]: sns.cert })
    const answer = (body: string, topicArns: string[] = [TOPIC]) =>
      answerChallenge({
        scheme: 'aws-sns',
        options: { topicArns },
        fetchKey: server.fetchKey,
        headers: { 'x-amz-sns-message-type': String((JSON.parse(body) as { Type: string }).Type) },
        body: Buffer.from(body),
        now: T0,
      })
    return { ...server, answer }
  }

  it('verifies a SubscriptionConfirmation, then GETs its SubscribeURL and answers 200', async () => {
    const { answer, requests } = setup()
    const body = signSnsMessage(confirmation('SubscriptionConfirmation'), sns.key)
    await expect(answer(body)).resolves.toMatchObject({ status: 200, body: '' })
    expect(requests).toEqual([
      { url: CERT_URL, method: 'GET' },
      { url: SUBSCRIBE_URL, method: 'GET' },
    ])
  })

  it('confirms nothing forged, for another topic, or outside SNS', async () => {
    const { answer, requests } = setup()
    const forged = signSnsMessage(confirmation('SubscriptionConfirmation'), other.key)
    await expectCode(answer(forged), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    const foreign = 'arn:aws:sns:us-east-1:999999999999:attacker'
    const theirs = signSnsMessage(
      confirmation('SubscriptionConfirmation', { TopicArn: foreign }),
      sns.key,
    )
    await expectCode(answer(theirs), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    const away = confirmation('SubscriptionConfirmation', {
      SubscribeURL: 'https://evil.example/?Action=ConfirmSubscription',
    })
    await expectCode(answer(signSnsMessage(away, sns.key)), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    expect(requests.filter((r) => r.url !== CERT_URL)).toEqual([])
  })

  it('answers a verified UnsubscribeConfirmation 200 without a request, and passes Notifications on', async () => {
    const { answer, requests } = setup()
    const body = signSnsMessage(confirmation('UnsubscribeConfirmation'), sns.key)
    await expect(answer(body)).resolves.toMatchObject({ status: 200 })
    expect(requests.map((r) => r.url)).toEqual([CERT_URL])
    await expect(answer(signSnsMessage(notification(), sns.key))).resolves.toBeNull()
  })
})

// aws/aws-php-sns-message-validator tests/FunctionalValidationsTest.php: messages SNS signed on
// 2022-07-28 with the certificate below (valid 2021-09-07 to 2022-08-17).
const PUBLISHED_CERT = `-----BEGIN CERTIFICATE-----
MIIF1zCCBL+gAwIBAgIQB9pYWG3Mi7xej22g9pobJTANBgkqhkiG9w0BAQsFADBG
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRUwEwYDVQQLEwxTZXJ2ZXIg
Q0EgMUIxDzANBgNVBAMTBkFtYXpvbjAeFw0yMTA5MDcwMDAwMDBaFw0yMjA4MTcy
MzU5NTlaMBwxGjAYBgNVBAMTEXNucy5hbWF6b25hd3MuY29tMIIBIjANBgkqhkiG
9w0BAQEFAAOCAQ8AMIIBCgKCAQEAutFqueT3XgP13udzxE6UpbdjOtVO5DwoMpSM
iDNMnGzF1TYH5/R2LPUOBeTB0SkKnR4kpNcUZhicpGD4aKciz/GEZ6wu65xncfT9
H/KBOQwoXYTuClHwp6fYpGzcGFaFoEYMnijL/o4qmTSd+ukglQUgKpsDw4ofw6rU
m2CttJo+GQSNQ9NfGR1h/0J+zsApkeSYrXRx5wNlu87z8os1C/6PBrUHwt3xXeaf
Xzfwut8aRRYsS8BySOA9DAgLfNHlfdQCjKPXKrG/ussgReyWD6n/HH+j7Uha3xos
TzQqJifcxlTq6MxWdPR6fDaJNvqw6DOE7UjUNxHguXHlVfxhlQIDAQABo4IC6TCC
AuUwHwYDVR0jBBgwFoAUWaRmBlKge5WSPKOUByeWdFv5PdAwHQYDVR0OBBYEFAqz
C+vyouneE7mWWLbi9i0UsWUbMBwGA1UdEQQVMBOCEXNucy5hbWF6b25hd3MuY29t
MA4GA1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIw
OwYDVR0fBDQwMjAwoC6gLIYqaHR0cDovL2NybC5zY2ExYi5hbWF6b250cnVzdC5j
b20vc2NhMWIuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMHUGCCsGAQUFBwEBBGkw
ZzAtBggrBgEFBQcwAYYhaHR0cDovL29jc3Auc2NhMWIuYW1hem9udHJ1c3QuY29t
MDYGCCsGAQUFBzAChipodHRwOi8vY3J0LnNjYTFiLmFtYXpvbnRydXN0LmNvbS9z
Y2ExYi5jcnQwDAYDVR0TAQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFtBIIBaQFn
AHYAKXm+8J45OSHwVnOfY6V35b5XfZxgCvj5TV0mXCVdx4QAAAF7vfDVkQAABAMA
RzBFAiEA2XfHuy36aqRFiaL8c3md2mH451go8707+fRE0pEdSRACIE/g5FXTUXUZ
PFcmOhm9TZ+uMY1i4CIQ/CKVWln6C3t+AHYAUaOw9f0BeZxWbbg3eI8MpHrMGyfL
956IQpoN/tSLBeUAAAF7vfDVjAAABAMARzBFAiBF1MhhFP0+FQt3daDFfMYoWwnr
muTInrjNpwfzlvQBugIhAPYadFzr+LaxSJoiZEbEHBvTts7bT0M3eCQONA2O7w6n
AHUAQcjKsd8iRkoQxqE6CUKHXk4xixsD6+tLx2jwkGKWBvYAAAF7vfDVdAAABAMA
RjBEAiAtPapmFAuA71ih4NoSd5hJelzAltNQpxDMcDfDyHyU8gIgWxmaa6+2KbBu
9xdv379zvnJACFR7jc+4asl08Dn4aagwDQYJKoZIhvcNAQELBQADggEBAA54QX0u
oFWXfMmv02CGZv4NWo5TapyeeixQ2kKpZHRdVZjxZrw+hoF6HD7P3kGjH8ztyJll
tDxB0qgMltbPhQdScwhA6iTgoaBYqEUC/VHKd4PmmPT6yIsM36NBZVmkGlzl5uNo
/dBgBaG0SsVJnhr5zro3c2quC7n6fVGEZhf/UgQwRnnvThnvbNKguglDMq4uEqv8
njKyleht+glkcmXO0m9qLKt6BOS0amy6U2GlAwRn0Wx02ndJtnRCSC6kPuRWK/SQ
FEjB7gCK4hdKaAOuWdZpI55vF6ifOeM8toC3g7ofO8qLTnJupAG+ZitY5J3cvHWr
HqOUdKigPDHYLRo=
-----END CERTIFICATE-----
`
const PUBLISHED_CERT_URL =
  'https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem'
const ACCOUNT = 'arn:aws:sns:us-east-2:295079676684'
const published: Record<string, string>[] = [
  {
    Type: 'Notification',
    MessageId: '792cda85-518f-5dd3-9163-81d851212f3a',
    TopicArn: `${ACCOUNT}:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362`,
    Message: 'Hello world',
    Timestamp: '2022-07-28T21:23:58.317Z',
    SignatureVersion: '1',
    Signature:
      'ghtf+deOBAzHJJZ6s6CdRLfTQAlcGzq9naoFM1wi0CJiq//uVRuZnamrkWNF0fhouMFvuLVRwcz8PZLUMSfnmd5VpdTKpTyiKmy1qJAZXma0w+yi7G+I33hD1Jyk1Nbym2n0kqp3fVu2aoooiN2ZeLAT2bH0/BtjLSfN1yAOKNoprco4qV9gGUZinXJdj9a1YdNhDR2jKi33ldlsVtEXAtiaDklGEk7DgRKX38GerBPiLg3FdtgY6KC7cdeGpU/dGK+4hjc83Ive1HoFkAwqhpgInM2sMytBosoiXfCmOKmU4xeGD0gHDNZTlJUJQDlzw8Eag0H9f/5zXF9d3uy0YQ==',
    SigningCertURL: PUBLISHED_CERT_URL,
    UnsubscribeURL: `https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${ACCOUNT}:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362:2296bc94-7992-4be1-b15f-b97229b5c1d8`,
  },
  {
    Type: 'Notification',
    MessageId: '17dea24b-55c2-540b-8362-f916557af765',
    TopicArn: `${ACCOUNT}:publish-and-verify-62674b1d-4295-426b-88e7-5fb75652a04e`,
    Message: 'Hello world',
    Timestamp: '2022-07-28T21:24:08.324Z',
    SignatureVersion: '2',
    Signature:
      'CXVqp9PfZAL+4JHS3Zxo1PFbQsvnOjvmYhtIf17TWpwc+iIVas8kZ8GopuzVzVMdatE7rCl/O4P91Zp05Dwz8lk8dLhfp8gSu3Njlzxlyrmzo9x3va3Jb7zFnedgS2GKnZWHGBdwTXho+TosNUE+3e10OMSlwN5XGDwX7+R3WL+rn+AXmFAqp3alg27sYa55h1dLE9cGszGPjScPdtF3BmZsUDMx9wSdNKsCk+vSvE8yBjnCmUl7laSFj3LzPVrlSwgNYCF3kYnNAkah7NplK4SFhJYLwS0HCVCQJKa8rVbQLf9cBTu60U402mrgy0bN8xWoyimzbYbrOMJjalqkUg==',
    SigningCertURL: PUBLISHED_CERT_URL,
  },
  {
    Type: 'Notification',
    MessageId: '11405cc3-9ac7-56d5-b45d-079e8f7a8edf',
    TopicArn: `${ACCOUNT}:publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84`,
    Subject: 'Hello world',
    Message: 'Hello world',
    Timestamp: '2022-07-28T22:53:49.654Z',
    SignatureVersion: '1',
    Signature:
      'AItkS26d8yvnIKJevdirIPW7eM/yKbZy3/CF2EreCHmXWB3etWaV5Fb7SYpGABMpugpDZzNyGY1wCVWaopDoQ+7Q/kI2TpDu8bw1eExbi8U3kduvc/2m2fIrI4gDEY8/v3nzoLcr8pPodqMzrX6SzQou4klfaqbNK+rFmH0LVf2Q1VyOROODoSXmo4jg2Yu12jfxccBl96Drr/ihq4MJ4OcrWh6UzXXlVYjJHx2Ui4anNwNEb+Z4C2CAF1DjQUbhDtaoajDBPY+4d9C1OwbqwQpXsd6tyVcI9nFyEsVK8lfnAV+/3GZQcdXHbIUYBRGcBa4X5TlWJku5nDH2ERtHHw==',
    SigningCertURL: PUBLISHED_CERT_URL,
  },
  {
    Type: 'Notification',
    MessageId: '4504e649-d933-5aa9-8199-bd14ccf05f0b',
    TopicArn: `${ACCOUNT}:publish-and-verify-530b26da-0687-4fe4-9f71-780bad3181e2`,
    Subject: 'Hello world',
    Message: 'Hello world',
    Timestamp: '2022-07-28T22:53:55.086Z',
    SignatureVersion: '2',
    Signature:
      'cETcSvmmkt+My05qCLKexyl0+RyG83mSryKPqTfS+tYcxDJWVcjPJAr+qdpElzVaBl1aTGYVWMY64i9JqZ/JES8pylNj8LGvdhuNQKO59/WCoIimZAsNhn0xEgOeeDU+W/0BU4sdpCGMNjo0S/FuIiWaRe4E0YWRVrxeQevaQ70euDdfWgd5v1eCKQz8b367b9XBmMztL/CWUFI6YaKK/MV21eyvJe3Y7CtVYiOKEYiAZnAEkynK7gUGO5TsgDjGNYhj6U3xYsWgI03bmioSl7kdFSUj+AZ7ugas5fghqxgoDsdfqsjMYKRm5KKHQWsgzI619yIzpNKUiSMHxdZXpQ==',
    SigningCertURL: PUBLISHED_CERT_URL,
  },
]

describe('aws-sns published vectors', () => {
  const verify = (
    message: Record<string, string>,
    now: number,
    more: Partial<VerifyOptions> = {},
  ) => {
    const server = awsServer({ [PUBLISHED_CERT_URL]: PUBLISHED_CERT })
    const result = verifyWebhook({
      scheme: 'aws-sns',
      options: { topicArns: [message.TopicArn!] },
      fetchKey: server.fetchKey,
      headers: {},
      body: Buffer.from(JSON.stringify(message)),
      now,
      ...more,
    })
    return { result, requests: server.requests }
  }
  const at = (iso: string | undefined) => Math.floor(Date.parse(iso ?? '') / 1000)

  for (const message of published) {
    it(`verifies ${message.MessageId} (SignatureVersion ${message.SignatureVersion})`, async () => {
      const { result, requests } = verify(message, at(message.Timestamp) + 5)
      await expect(result).resolves.toMatchObject({
        id: message.MessageId,
        timestamp: at(message.Timestamp),
      })
      expect(requests).toEqual([{ url: PUBLISHED_CERT_URL, method: 'GET' }])
      const tampered = verify({ ...message, Message: 'Hello world!' }, at(message.Timestamp))
      await expectCode(tampered.result, 'ZH_WEBHOOK_SIGNATURE_INVALID')
    })
  }

  it('refuses them once their certificate has expired', async () => {
    const after = at('2022-08-18T00:00:00Z')
    const { result } = verify(published[1]!, after, { tolerance: 10 * 365 * 86400 })
    await expectCode(result, 'ZH_WEBHOOK_KEY_UNTRUSTED')
  })
})
