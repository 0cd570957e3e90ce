/**
 * The zerohook GitHub Action: sends the workflow's event as one signed webhook to a dark
 * receiver over the zerohook overlay. Bundled by `npm run build:action` into action/dist/index.js.
 */
import * as core from '@actions/core'
import pino from 'pino'
import { isZhError } from '../../src/errors.js'
import { connect } from '../../src/sdk/context.js'
import { DeliveryError, deliverWebhook } from '../../src/sdk/webhook-delivery.js'
import { readInputs } from './inputs.js'
import { buildPayload, readEvent } from './payload.js'

/** Masks secrets in the job log before anything can print them. */
function maskSecrets(): void {
  const secret = core.getInput('webhook-secret')
  if (secret) core.setSecret(secret)
  const identity = core.getInput('identity')
  if (!identity) return
  core.setSecret(identity)
  let key: unknown
  try {
    key = (JSON.parse(identity) as { key?: unknown }).key
  } catch {
    return // readInputs reports it, without echoing it
  }
  if (typeof key !== 'string') return
  core.setSecret(key)
  // The runner masks line by line: a multi-line PEM is only hidden if each line is a secret too.
  for (const line of key.split(/\r?\n/)) {
    if (line.length >= 8 && !line.startsWith('-----')) core.setSecret(line)
  }
}

async function run(): Promise<void> {
  maskSecrets()
  const inputs = readInputs((name) => core.getInput(name), process.env)
  const event = await readEvent(process.env.GITHUB_EVENT_PATH)
  const payload = buildPayload(event, process.env, inputs.data)
  const log = pino({ level: 'warn', base: { component: 'zerohook-action' } })
  const zh = await connect(inputs.identity, { log })
  try {
    const result = await deliverWebhook(zh, {
      service: inputs.service,
      path: inputs.path,
      scheme: inputs.scheme,
      secret: inputs.secret,
      type: inputs.eventType,
      data: payload,
      retries: inputs.retries,
      maxBodyBytes: 6 * 1024 * 1024,
      onRetry: ({ attempt, error, delayMs }) =>
        core.warning(`attempt ${attempt} failed (${error}); retrying in ${delayMs} ms`),
    })
    core.setOutput('status', String(result.status))
    core.setOutput('delivery-id', result.id)
    core.setOutput('attempts', String(result.attempts))
    const note = result.duplicate ? ' (the receiver had it already)' : ''
    core.info(`delivered ${result.id} to ${inputs.service}: HTTP ${result.status}${note}`)
  } catch (err) {
    if (err instanceof DeliveryError) {
      core.setOutput('delivery-id', err.id)
      core.setOutput('attempts', String(err.attempts))
      if (err.response) core.setOutput('status', String(err.response.status))
    }
    throw err
  } finally {
    await zh.close()
  }
}

try {
  await run()
} catch (err) {
  core.setFailed(isZhError(err) ? `${err.code}: ${err.message}` : `ZH_INTERNAL: ${String(err)}`)
  process.exitCode = 1
}
