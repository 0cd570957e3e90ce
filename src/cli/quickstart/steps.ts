import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ZhError, isZhError } from '../../errors.js'
import { writeSecretFile } from '../../pki/files.js'
import { connect, type Zerohook } from '../../sdk/context.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import { loadIdentity, saveIdentity } from '../../sdk/identity-file.js'
import { generateWebhookSecret } from '../../webhooks/secrets.js'
import type { QuickstartNetwork } from './network.js'
import { exposure } from './sockets.js'
import { postWebhook, signedWebhook, type SignedWebhook } from './webhook.js'

/** One thing the quickstart does and checks; `run` resolves what to show, or throws. */
export interface Step {
  title: string
  run: () => Promise<string>
}

const SERVICE = 'jenkins-webhook'
const URL = `http://${SERVICE}/github-webhook/`
const IDENTITIES = [
  ['github-action', ['senders']],
  ['jenkins', ['receivers']],
  ['stranger', []],
] as const

function check(ok: boolean, what: string): void {
  if (!ok) throw new ZhError('ZH_QUICKSTART_CHECK_FAILED', what)
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause
    if (isZhError(err)) return err.code
    if (isZhError(cause)) return cause.code
    throw err
  }
  throw new ZhError('ZH_QUICKSTART_CHECK_FAILED', 'expected a refusal, but it succeeded')
}

/**
 * The walk-through: a network with a controller and a router, a dark receiver, a signed
 * webhook over the overlay, then the attacks each layer stops. Every step checks what it shows.
 */
export function quickstartSteps(net: QuickstartNetwork, contexts: Zerohook[]): Step[] {
  const tokens = new Map<string, string>()
  const ids = new Map<string, string>()
  const secret = generateWebhookSecret()
  let sender!: Zerohook
  let delivered!: SignedWebhook
  const receiverSaw = (event: string) => net.receiver!.lines.filter((l) => l.event === event).length
  const dial = async (name: string) => {
    const zh = await connect(await loadIdentity(net.file(`${name}.json`)))
    contexts.push(zh)
    return zh
  }

  return [
    {
      title: 'Create the network: certificate authority, controller certificate, admin identity',
      run: async () => {
        await net.init()
        await writeSecretFile(net.file('webhook-secret'), `${secret}\n`)
        return 'ECDSA P-256 CA and an Ed25519 grant-signing key; private keys written mode 0600'
      },
    },
    {
      title: 'Start the controller (child process: HTTPS API, client certificates)',
      run: async () => `listening at ${await net.startController()}`,
    },
    {
      title: 'Start a router (child process: enrolls with a one-time token, connects out)',
      run: async () =>
        `router-1 accepts mutual-TLS endpoints at ${await net.startRouter('router-1')}`,
    },
    {
      title: 'Create identities, the service jenkins-webhook (#webhooks) and its policies',
      run: async () => {
        for (const [name, attributes] of IDENTITIES) {
          const r = await net.admin.call<{
            identity: { id: string }
            enrollment: { token: string }
          }>('POST', '/v1/identities', { name, attributes })
          tokens.set(name, r.enrollment.token)
          ids.set(name, r.identity.id)
        }
        await net.admin.call('POST', '/v1/services', { name: SERVICE, attributes: ['webhooks'] })
        for (const [name, type, who] of [
          ['senders-dial', 'dial', '#senders'],
          ['receivers-bind', 'bind', '#receivers'],
        ] as const) {
          await net.admin.call('POST', '/v1/service-policies', {
            name,
            type,
            identityRoles: [who],
            serviceRoles: ['#webhooks'],
          })
        }
        return 'github-action (#senders) may dial, jenkins (#receivers) may bind, stranger: nothing'
      },
    },
    {
      title: 'Enroll them: each makes its key pair locally and gets an X.509 certificate',
      run: async () => {
        for (const [name] of IDENTITIES) {
          await saveIdentity(net.file(`${name}.json`), await enrollWithToken(tokens.get(name)!))
        }
        const reuse = await refusal(enrollWithToken(tokens.get('jenkins')!))
        check(reuse === 'ZH_ENROLL_TOKEN_USED', `a reused token gave ${reuse}`)
        return `identity files in ${net.dir}; a token used twice is refused (${reuse})`
      },
    },
    {
      title:
        'Start the dark receiver jenkins (child process): it serves jenkins-webhook outbound only',
      run: async () => {
        const receiver = await net.startReceiver(net.file('jenkins.json'), SERVICE, secret)
        return `pid ${receiver.pid}: an http.Server handed circuits by the SDK, never listen()ed`
      },
    },
    {
      title: 'The receiver has no listening port',
      run: async () => {
        const seen = await exposure(net.receiver!.pid)
        check(seen.listening.length === 0, `it listens on ${seen.listening.join(', ')}`)
        check(seen.outbound > 0, 'no outbound connection was seen, so the check could not run')
        return `0 listening TCP or UDP sockets; ${seen.outbound} outbound TCP connection(s), to the router`
      },
    },
    {
      title: 'github-action sends a signed webhook over the overlay; the receiver verifies it',
      run: async () => {
        sender = await dial('github-action')
        delivered = signedWebhook(secret, `msg_quickstart_${Date.now()}`, 'push', {
          ref: 'refs/heads/main',
          repository: 'acme/app',
        })
        const answer = await postWebhook(sender.dispatcher(), URL, delivered)
        check(answer.status === 200, `the receiver answered ${answer.status} ${answer.code ?? ''}`)
        const seen = await net.receiver!.waitFor(
          (l) => l.event === 'verified' && l.id === delivered.id,
          5000,
        )
        check(seen.caller === ids.get('github-action'), `the caller was ${String(seen.caller)}`)
        check(seen.name === 'github-action', `the caller's name was ${String(seen.name)}`)
        return `200: signature, timestamp and id checked; caller proven by certificate: github-action`
      },
    },
    {
      title: 'The router relayed it blind: its capture of every byte holds no plaintext',
      run: async () => {
        const captured = await waitForCapture(net.file('router-1.capture'))
        const marker = Buffer.from('refs/heads/main')
        check(captured.length > 0, 'the router capture is empty')
        check(!captured.includes(marker), 'the webhook body appears in clear at the router')
        return `${captured.length} bytes relayed, all end-to-end TLS between github-action and jenkins`
      },
    },
    {
      title: 'A replayed webhook (the same bytes, sent again) is rejected',
      run: async () => {
        const answer = await postWebhook(sender.dispatcher(), URL, delivered)
        check(answer.code === 'ZH_WEBHOOK_REPLAYED', `answered ${answer.status} ${answer.code}`)
        return `${answer.status} ${answer.code}`
      },
    },
    {
      title: 'A tampered webhook (body changed after signing) is rejected',
      run: async () => {
        const signed = signedWebhook(secret, `msg_tampered_${Date.now()}`, 'push', { ref: 'main' })
        const tampered = {
          ...signed,
          body: Buffer.from(signed.body.toString().replace('main', 'evil')),
        }
        const verifiedBefore = receiverSaw('verified')
        const answer = await postWebhook(sender.dispatcher(), URL, tampered)
        check(
          answer.code === 'ZH_WEBHOOK_SIGNATURE_INVALID',
          `answered ${answer.status} ${answer.code}`,
        )
        check(receiverSaw('verified') === verifiedBefore, 'the tampered webhook was accepted')
        return `${answer.status} ${answer.code}`
      },
    },
    {
      title: 'An identity without a policy is refused before any connection is made',
      run: async () => {
        const stranger = await dial('stranger')
        const before = net.receiver!.lines.length
        const code = await refusal(
          postWebhook(
            stranger.dispatcher(),
            URL,
            signedWebhook(secret, 'msg_stranger', 'push', {}),
          ),
        )
        check(code === 'ZH_SDK_NO_GRANT', `refused with ${code}`)
        await new Promise((r) => setTimeout(r, 200))
        check(net.receiver!.lines.length === before, 'the receiver heard from the stranger')
        return `${code}: no grant, so no circuit; the receiver saw nothing (even a valid signature would not help)`
      },
    },
    {
      title: 'Delete github-action: its certificate is revoked and the router cuts it off at once',
      run: async () => {
        const circuit = await sender.dial(SERVICE)
        circuit.on('error', () => undefined)
        const closed = new Promise<number>((resolve) =>
          circuit.once('close', () => resolve(performance.now())),
        )
        const started = performance.now()
        await net.admin.call('DELETE', '/v1/identities/github-action')
        const timeout = new Promise<number>((resolve) =>
          setTimeout(() => resolve(-1), 5000).unref(),
        )
        const at = await Promise.race([closed, timeout])
        check(at > 0, 'the open circuit was still up 5 s after the delete')
        const again = signedWebhook(secret, `msg_after_delete_${Date.now()}`, 'push', {})
        const code = await refusal(postWebhook(sender.dispatcher(), URL, again))
        check(receiverSaw('verified') === 1, 'the deleted identity still got through')
        return `its open circuit closed ${(at - started).toFixed(0)} ms after the delete call; a new webhook: ${code}`
      },
    },
  ]
}

// The router appends to its capture file as it relays: give the write a moment to land.
async function waitForCapture(path: string): Promise<Buffer> {
  for (let i = 0; i < 20; i++) {
    const bytes = await readFile(path).catch(() => Buffer.alloc(0))
    if (bytes.length > 0) return bytes
    await new Promise((r) => setTimeout(r, 50))
  }
  return Buffer.alloc(0)
}

/** The files a user needs to try things after the walk-through. */
export const quickstartFiles = (dir: string) => ({
  admin: join(dir, 'admin.json'),
  jenkins: join(dir, 'jenkins.json'),
  secret: join(dir, 'webhook-secret'),
})
