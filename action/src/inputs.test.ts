import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../../src/errors.test-util.js'
import { readInputs } from './inputs.js'
import { buildPayload, readEvent } from './payload.js'

const IDENTITY = JSON.stringify({
  version: 1,
  id: 'id1',
  name: 'ci',
  kind: 'endpoint',
  network: 'net',
  controller: 'https://127.0.0.1:1',
  certificate: 'CERT',
  key: 'KEY',
  ca: 'CA',
  grantKey: { kty: 'OKP' },
})

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
const minimal = { identity: IDENTITY, service: 'jenkins-webhook', 'webhook-secret': 's' }

describe('readInputs', () => {
  it('applies the defaults of action.yml, event-type from GITHUB_EVENT_NAME', () => {
    const inputs = readInputs(reader(minimal), { GITHUB_EVENT_NAME: 'release' })
    expect(inputs).toMatchObject({
      service: 'jenkins-webhook',
      path: '/',
      scheme: 'github',
      eventType: 'release',
      data: {},
      retries: 3,
    })
    expect(inputs.identity.name).toBe('ci')
  })

  it('refuses missing or invalid inputs with ZH_ACTION_INPUT_INVALID', async () => {
    const env = { GITHUB_EVENT_NAME: 'push' }
    const bad: Record<string, string>[] = [
      { ...minimal, identity: '' },
      { ...minimal, service: '' },
      { ...minimal, 'webhook-secret': '' },
      { ...minimal, identity: '{"key":"PRIVATE"}' },
      { ...minimal, scheme: 'stripe' },
      { ...minimal, retries: '-1' },
      { ...minimal, retries: '500' },
      { ...minimal, data: '[1,2]' },
      { ...minimal, data: '{oops' },
    ]
    for (const inputs of bad) {
      const code = await codeOf(Promise.resolve().then(() => readInputs(reader(inputs), env)))
      expect({ inputs, code }).toEqual({ inputs, code: 'ZH_ACTION_INPUT_INVALID' })
    }
    expect(await codeOf(Promise.resolve().then(() => readInputs(reader(minimal), {})))).toBe(
      'ZH_ACTION_INPUT_INVALID',
    )
  })
})

describe('buildPayload', () => {
  const env = {
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_REF: 'refs/tags/v1',
    GITHUB_SHA: 'abc',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_RUN_ID: '7',
    GITHUB_EVENT_NAME: 'push',
  }

  it("keeps the event's own fields, adds the missing ones, and lets data win", () => {
    const event = { ref: 'refs/heads/main', repository: { full_name: 'acme/app' }, n: 1 }
    const payload = buildPayload(event, env, { n: 2, env: 'prod' })
    expect(payload).toEqual({
      ref: 'refs/heads/main',
      repository: { full_name: 'acme/app' },
      sha: 'abc',
      workflow: 'deploy',
      run_id: '7',
      n: 2,
      env: 'prod',
      workflow_context: {
        repository: 'acme/app',
        ref: 'refs/tags/v1',
        sha: 'abc',
        workflow: 'deploy',
        run_id: '7',
        event_name: 'push',
      },
    })
  })

  it('reads the event file, and refuses one that is not a JSON object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zh-action-event-'))
    try {
      const ok = join(dir, 'ok.json')
      const bad = join(dir, 'bad.json')
      await writeFile(ok, '{"action":"opened"}')
      await writeFile(bad, '"just a string"')
      expect(await readEvent(ok)).toEqual({ action: 'opened' })
      expect(await readEvent(undefined)).toEqual({})
      expect(await codeOf(readEvent(bad))).toBe('ZH_FILE_INVALID')
      expect(await codeOf(readEvent(join(dir, 'missing.json')))).toBe('ZH_FILE_INVALID')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
