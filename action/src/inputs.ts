import { ZhError } from '../../src/errors.js'
import { parseIdentity, type IdentityFile } from '../../src/sdk/identity-file.js'
import type { DeliveryScheme } from '../../src/sdk/webhook-delivery.js'
import { jsonObject } from './payload.js'

/** The step's inputs, checked. */
export interface ActionInputs {
  identity: IdentityFile
  service: string
  path: string
  secret: string
  scheme: DeliveryScheme
  eventType: string
  data: Record<string, unknown>
  retries: number
}

/** Reads one input as `@actions/core` does (`INPUT_<NAME>`, trimmed; '' when absent). */
export type InputReader = (name: string) => string

const MAX_IDENTITY = 256 * 1024
const MAX_DATA = 256 * 1024

/**
 * Reads and checks the inputs. Defaults repeat action.yml's, so the entry point also works when
 * run by hand with only some `INPUT_*` variables set.
 *
 * @example
 * ```ts
 * const inputs = readInputs((name) => core.getInput(name), process.env)
 * ```
 */
export function readInputs(get: InputReader, env: NodeJS.ProcessEnv): ActionInputs {
  const required = (name: string) => {
    const value = get(name)
    if (value === '') throw new ZhError('ZH_ACTION_INPUT_INVALID', `${name} is required`)
    return value
  }
  const identityText = required('identity')
  if (identityText.length > MAX_IDENTITY) {
    throw new ZhError('ZH_ACTION_INPUT_INVALID', 'identity is too large')
  }
  let identity: IdentityFile
  try {
    identity = parseIdentity(identityText, 'the identity input')
  } catch {
    // Never echo the input: it holds a private key.
    throw new ZhError('ZH_ACTION_INPUT_INVALID', 'identity is not an identity file (JSON)')
  }
  const scheme = get('scheme') || 'github'
  if (scheme !== 'github' && scheme !== 'standard') {
    throw new ZhError('ZH_ACTION_INPUT_INVALID', 'scheme is github or standard')
  }
  const retriesText = get('retries') || '3'
  if (!/^[0-9]{1,3}$/.test(retriesText) || Number(retriesText) > 100) {
    throw new ZhError('ZH_ACTION_INPUT_INVALID', 'retries is a whole number up to 100')
  }
  const dataText = get('data')
  if (dataText.length > MAX_DATA) throw new ZhError('ZH_ACTION_INPUT_INVALID', 'data is too large')
  const eventType = get('event-type') || env.GITHUB_EVENT_NAME || ''
  if (eventType === '') {
    throw new ZhError('ZH_ACTION_INPUT_INVALID', 'event-type (no GITHUB_EVENT_NAME either)')
  }
  return {
    identity,
    service: required('service'),
    path: get('path') || '/',
    secret: required('webhook-secret'),
    scheme,
    eventType,
    data: dataText === '' ? {} : jsonObject(dataText, 'data', 'ZH_ACTION_INPUT_INVALID'),
    retries: Number(retriesText),
  }
}
