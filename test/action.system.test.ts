import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildAction } from '../action/build.js'
import { stopAllDaemons, tempDir, type Daemon } from './helpers/cli.js'
import { ACTION_BUNDLE, runAction } from './helpers/github-actions.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const SECRET = 'the jenkins hook secret'
const ACTION_DIR = resolve(import.meta.dirname, '../action')

/** A push event as GitHub writes it to $GITHUB_EVENT_PATH (the fields receivers read). */
const PUSH = {
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: 'a'.repeat(40),
  repository: { full_name: 'acme/app', clone_url: 'https://github.com/acme/app.git' },
  pusher: { name: 'octocat' },
  head_commit: { id: 'a'.repeat(40), message: 'Fix the build' },
}

const GITHUB_ENV = {
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_WORKFLOW: 'deploy',
  GITHUB_RUN_ID: '4242',
}

describe('the committed action bundle', () => {
  it('is what the sources build today (run `npm run build:action` when this fails)', async () => {
    const { dir, cleanup } = await tempDir('zh-action-build-')
    try {
      const fresh = join(dir, 'index.js')
      const meta = await buildAction(fresh)
      const built = await readFile(fresh)
      const committed = await readFile(ACTION_BUNDLE)
      expect(built.equals(committed)).toBe(true)
      // The send path must not need a native module: nothing to install on the runner.
      expect(Object.keys(meta.inputs).filter((f) => /better-sqlite3|\.node$/.test(f))).toEqual([])
    } finally {
      await cleanup()
    }
  })

  it('is what action.yml runs, with the documented inputs and outputs', async () => {
    const yml = parse(await readFile(join(ACTION_DIR, 'action.yml'), 'utf8')) as {
      runs: { using: string; main: string }
      inputs: Record<string, { required?: boolean; default?: string }>
      outputs: Record<string, unknown>
    }
    expect(yml.runs).toEqual({ using: 'node20', main: 'dist/index.js' })
    expect(resolve(ACTION_DIR, yml.runs.main)).toBe(ACTION_BUNDLE)
    expect(Object.keys(yml.inputs).sort()).toEqual([
      'data',
      'event-type',
      'identity',
      'path',
      'retries',
      'scheme',
      'service',
      'webhook-secret',
    ])
    expect(yml.inputs.scheme!.default).toBe('github')
    expect(yml.inputs['event-type']!.default).toBe('${{ github.event_name }}')
    expect(Object.keys(yml.outputs)).toEqual(expect.arrayContaining(['status', 'delivery-id']))
  })
})

/** The bundle run as a GitHub runner runs it, against a real network and a dark receiver. */
describe('the GitHub Action over the overlay', { timeout: 180_000 }, () => {
  let net: TestNetwork
  let receiver: Daemon
  let identity: string

  beforeAll(async () => {
    net = await startNetwork(1)
    await net.admin('service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
    await net.policy('ci-dial', 'dial', '#ci', '#webhooks')
    await net.policy('jenkins-bind', 'bind', '#jenkins', '#webhooks')
    const jenkins = await net.identity('jenkins', ['jenkins'])
    identity = await readFile((await net.identity('github-actions', ['ci'])).file, 'utf8')
    receiver = startFixture('webhook-receiver.ts', [
      jenkins.file,
      'jenkins-webhook',
      'github',
      SECRET,
    ])
    await receiver.waitFor((l) => l.event === 'ready')
  })

  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  const inputs = (extra: Record<string, string> = {}) => ({
    identity,
    service: 'jenkins-webhook',
    path: '/github-webhook/',
    'webhook-secret': SECRET,
    scheme: 'github',
    // GitHub passes action.yml's default, `${{ github.event_name }}`, evaluated; an empty
    // value checks the fallback to $GITHUB_EVENT_NAME.
    'event-type': '',
    data: '{"environment":"production"}',
    retries: '2',
    ...extra,
  })

  it('delivers the push event, verified by the receiver, and sets the outputs', async () => {
    const run = await runAction(net.dir, inputs(), { name: 'push', payload: PUSH }, GITHUB_ENV)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('202')
    expect(run.outputs['delivery-id']).toMatch(/^[0-9a-f-]{36}$/)
    const got = await receiver.waitFor(
      (l) => l.event === 'webhook' && l.id === run.outputs['delivery-id'],
    )
    expect(got.githubEvent).toBe('push')
    expect(got.path).toBe('/github-webhook/')
    expect(got.body).toMatchObject({
      ...PUSH, // the event as GitHub wrote it: its repository object is kept
      sha: GITHUB_ENV.GITHUB_SHA,
      workflow: 'deploy',
      run_id: '4242',
      environment: 'production',
      workflow_context: { repository: 'acme/app', run_id: '4242', event_name: 'push' },
    })
  })

  it('masks the secret and the private key before anything else is printed', async () => {
    const run = await runAction(net.dir, inputs(), { name: 'push', payload: PUSH }, GITHUB_ENV)
    expect(run.code).toBe(0)
    const key = (JSON.parse(identity) as { key: string }).key
    const keyLine = key.split('\n').find((l) => l.length > 20 && !l.startsWith('-----'))!
    const lines = run.stdout.split('\n')
    expect(lines).toContain(`::add-mask::${SECRET}`)
    expect(lines).toContain(`::add-mask::${keyLine}`)
    const unmasked = lines.filter((l) => !l.startsWith('::add-mask::'))
    expect(unmasked.join('\n')).not.toContain(SECRET)
    expect(unmasked.join('\n')).not.toContain(keyLine)
  })

  it('fails the step on a non-2xx answer: exit 1, ::error:: with the code, status output', async () => {
    const run = await runAction(
      net.dir,
      inputs({ 'webhook-secret': 'a wrong secret' }),
      { name: 'push', payload: PUSH },
      GITHUB_ENV,
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^::error::ZH_SEND_REJECTED: .*HTTP 401/m)
    expect(run.outputs.status).toBe('401')
    expect(run.outputs['delivery-id']).toMatch(/^[0-9a-f-]{36}$/)
    await receiver.waitFor(
      (l) => l.event === 'refused' && l.code === 'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('fails the step on a missing input, without echoing the identity', async () => {
    const run = await runAction(
      net.dir,
      inputs({ identity: '{"key":"-----BEGIN PRIVATE KEY-----\\nSECRETKEYMATERIAL\\n"}' }),
      { name: 'push', payload: PUSH },
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^::error::ZH_ACTION_INPUT_INVALID: /m)
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'))
    expect(errors.join('\n')).not.toContain('SECRETKEYMATERIAL')
  })
})
