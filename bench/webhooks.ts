import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { verify as octokitVerify } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import { report, timed } from './report.js'

type WebhooksModule = typeof import('../src/webhooks/index.js')

// The code as shipped: dist/ (which `npm run bench` builds first), compiled like the reference
// libraries are; src/ through tsx only when there is no build (tsx adds per-call overhead).
async function loadWebhooks(): Promise<{ module: WebhooksModule; from: string }> {
  const built = fileURLToPath(new URL('../dist/webhooks/index.js', import.meta.url))
  if (existsSync(built)) {
    return { module: (await import(pathToFileURL(built).href)) as WebhooksModule, from: 'dist' }
  }
  return { module: await import('../src/webhooks/index.js'), from: 'src via tsx' }
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const GITHUB_SECRET = "It's a Secret to Everybody"

/** The best of a few rounds, so a GC pause or a neighbour's burst does not decide the figure. */
async function best(n: number, fn: () => Promise<unknown>): Promise<number> {
  let top = 0
  for (let round = 0; round < 3; round++) {
    const { perSecond } = await timed(n, async () => {
      await fn()
    })
    top = Math.max(top, perSecond)
  }
  return top
}

/**
 * Verifications per second for `standard` and `github`, ours beside the reference libraries
 * (standardwebhooks, @octokit/webhooks-methods) in the same process and run, for a 1 KiB and a
 * 64 KiB body; the ratio is ours / reference (above 1: we are faster). Each side verifies the
 * same signed bytes the way its API takes them (ours: raw bytes; the references: a string).
 */
export async function benchWebhooks(): Promise<void> {
  const { module, from } = await loadWebhooks()
  const { signWebhook, verifyWebhook } = module
  process.stdout.write(`webhooks     (zerohook measured from ${from})\n`)
  for (const size of [1024, 64 * 1024]) {
    const label = `${size / 1024} KiB body`
    const body = Buffer.from(
      JSON.stringify({ type: 'bench', data: { pad: 'x'.repeat(size - 40) } }),
    )
    const text = body.toString('utf8')
    const n = size > 4096 ? 4000 : 20_000

    const timestamp = Math.floor(Date.now() / 1000)
    const headers = signWebhook({
      scheme: 'standard',
      secret: SECRET,
      id: 'msg_bench',
      timestamp,
      body,
    })
    const reference = new Webhook(SECRET)
    const oursStandard = await best(n, () =>
      verifyWebhook({ scheme: 'standard', secret: SECRET, headers, body }),
    )
    const theirsStandard = await best(n, () =>
      Promise.resolve(reference.verify(text, headers, { jsonParse: false })),
    )
    report('webhooks', `standard verifications/s, zerohook (${label})`, oursStandard)
    report(
      'webhooks',
      `standard verifications/s, standardwebhooks 1.1.1 (${label})`,
      theirsStandard,
    )
    report(
      'webhooks',
      `standard ratio zerohook / standardwebhooks (${label})`,
      oursStandard / theirsStandard,
      'x',
    )

    const github = signWebhook({
      scheme: 'github',
      secret: GITHUB_SECRET,
      id: 'bench-delivery',
      body,
    })
    const signature = github['X-Hub-Signature-256']!
    const oursGithub = await best(n, () =>
      verifyWebhook({ scheme: 'github', secret: GITHUB_SECRET, headers: github, body }),
    )
    const theirsGithub = await best(n, async () => {
      if (!(await octokitVerify(GITHUB_SECRET, text, signature))) throw new Error('octokit refused')
    })
    report('webhooks', `github verifications/s, zerohook (${label})`, oursGithub)
    report(
      'webhooks',
      `github verifications/s, @octokit/webhooks-methods 6.0.0 (${label})`,
      theirsGithub,
    )
    report(
      'webhooks',
      `github ratio zerohook / @octokit/webhooks-methods (${label})`,
      oursGithub / theirsGithub,
      'x',
    )
  }
}
