import { open } from 'node:fs/promises'
import { ZhError } from '../../src/errors.js'

/** Largest event file read: GitHub caps webhook payloads at 25 MB; ours go through 1 MiB+ hooks. */
export const MAX_EVENT_BYTES = 5 * 1024 * 1024

/** Where the workflow ran, from the `GITHUB_*` variables every job has. */
export interface WorkflowContext {
  repository?: string
  ref?: string
  sha?: string
  workflow?: string
  run_id?: string
  run_attempt?: string
  event_name?: string
  actor?: string
  server_url?: string
}

/** The workflow context from the environment; absent variables are left out. */
export function workflowContext(env: NodeJS.ProcessEnv): WorkflowContext {
  const pick = (name: string) => env[name] || undefined
  const context: WorkflowContext = {
    repository: pick('GITHUB_REPOSITORY'),
    ref: pick('GITHUB_REF'),
    sha: pick('GITHUB_SHA'),
    workflow: pick('GITHUB_WORKFLOW'),
    run_id: pick('GITHUB_RUN_ID'),
    run_attempt: pick('GITHUB_RUN_ATTEMPT'),
    event_name: pick('GITHUB_EVENT_NAME'),
    actor: pick('GITHUB_ACTOR'),
    server_url: pick('GITHUB_SERVER_URL'),
  }
  return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined))
}

/**
 * The payload the action sends: the workflow's event as GitHub wrote it to `$GITHUB_EVENT_PATH`
 * (so a receiver that understands github.com's webhooks understands this one), `ref`, `sha`,
 * `workflow`, `run_id` and `repository` added where the event lacks them (the event's own
 * fields, e.g. `repository` as an object, are never overwritten), the whole context under
 * `workflow_context`, and last the step's `data` input merged on top.
 *
 * @example
 * ```ts
 * const payload = buildPayload(await readEvent(process.env.GITHUB_EVENT_PATH), process.env, { env: 'prod' })
 * ```
 */
export function buildPayload(
  event: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const context = workflowContext(env)
  const payload: Record<string, unknown> = { ...event }
  for (const key of ['repository', 'ref', 'sha', 'workflow', 'run_id'] as const) {
    if (payload[key] === undefined && context[key] !== undefined) payload[key] = context[key]
  }
  payload.workflow_context = context
  return { ...payload, ...data }
}

/** Reads the event JSON GitHub wrote for this run; an empty object when there is none. */
export async function readEvent(path: string | undefined): Promise<Record<string, unknown>> {
  if (!path) return {}
  let text: string
  let file
  try {
    file = await open(path, 'r')
  } catch (err) {
    throw new ZhError(
      'ZH_FILE_INVALID',
      `GITHUB_EVENT_PATH: ${(err as NodeJS.ErrnoException).code}`,
    )
  }
  try {
    const buffer = Buffer.alloc(MAX_EVENT_BYTES + 1)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    if (bytesRead > MAX_EVENT_BYTES) throw new ZhError('ZH_SEND_PAYLOAD_TOO_LARGE', 'the event')
    text = buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await file.close()
  }
  return jsonObject(text, 'GITHUB_EVENT_PATH', 'ZH_FILE_INVALID')
}

/** Parses JSON that must be an object (not an array, string or null). */
export function jsonObject(
  text: string,
  what: string,
  code: 'ZH_FILE_INVALID' | 'ZH_ACTION_INPUT_INVALID',
): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ZhError(code, `${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ZhError(code, `${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}
