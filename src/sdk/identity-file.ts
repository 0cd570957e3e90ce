import { readFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import { ZhError } from '../errors.js'
import { writeSecretFile } from '../pki/files.js'
import { withKnownControllers } from './controller-pool.js'
import { MAX_CONTROLLER_URL, MAX_CONTROLLERS, controllerOrigin } from './controller-urls.js'

/** An enrolled principal: who it is, where its controller is, and its key material. */
export interface IdentityFile {
  version: 1
  id: string
  name: string
  kind: 'endpoint' | 'admin' | 'router'
  network: string
  /** Base URL of the controller, e.g. https://127.0.0.1:1280: the one tried first. */
  controller: string
  /**
   * Every controller replica known (at most 16 https base URLs, `controller` first), tried in
   * turn when one cannot be reached. Absent in files of older versions.
   */
  controllers?: string[]
  certificate: string
  key: string
  ca: string
  /** The controller's public key for tokens and grants. */
  grantKey: JWK
  /**
   * The network's knock keys as of enrollment or the last renewal (base64url, current first):
   * what connections to routers open with (`router run --knock`). Fresher ones come with grants.
   */
  knock?: string[]
}

const MAX_FILE = 256 * 1024

/**
 * Reads and checks an identity file written by `zerohook enroll`.
 *
 * @example
 * const id = await loadIdentity('jenkins.json')
 */
export async function loadIdentity(path: string): Promise<IdentityFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ZhError(
      'ZH_FILE_INVALID',
      `${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    )
  }
  if (text.length > MAX_FILE) throw new ZhError('ZH_FILE_INVALID', `${path}: too large`)
  return parseIdentity(text, path)
}

/** Parses identity JSON (e.g. from an environment variable or a CI secret). */
export function parseIdentity(text: string, source = 'identity'): IdentityFile {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new ZhError('ZH_FILE_INVALID', `${source}: not JSON`)
  }
  const fields = [
    'id',
    'name',
    'kind',
    'network',
    'controller',
    'certificate',
    'key',
    'ca',
  ] as const
  for (const f of fields) {
    if (typeof data[f] !== 'string' || data[f] === '')
      throw new ZhError('ZH_FILE_INVALID', `${source}: missing "${f}"`)
  }
  if (data.version !== 1) throw new ZhError('ZH_FILE_INVALID', `${source}: unsupported version`)
  if (typeof data.grantKey !== 'object' || data.grantKey === null)
    throw new ZhError('ZH_FILE_INVALID', `${source}: missing "grantKey"`)
  if (data.controllers !== undefined) checkControllers(data.controllers, source)
  if (
    data.knock !== undefined &&
    (!Array.isArray(data.knock) ||
      data.knock.length > 2 ||
      data.knock.some((k) => typeof k !== 'string' || k.length > 64))
  )
    throw new ZhError('ZH_FILE_INVALID', `${source}: "knock" must be a list of at most 2 keys`)
  return data as unknown as IdentityFile
}

/** The knock keys of a controller's answer, when it has some (an older one sends none). */
export function knockOf(r: { knock?: unknown }): { knock?: string[] } {
  const keys = Array.isArray(r.knock)
    ? r.knock.filter((k): k is string => typeof k === 'string' && k.length <= 64)
    : []
  return keys.length > 0 ? { knock: keys.slice(0, 2) } : {}
}

function checkControllers(value: unknown, source: string): void {
  if (!Array.isArray(value) || value.length > MAX_CONTROLLERS)
    throw new ZhError(
      'ZH_FILE_INVALID',
      `${source}: "controllers" must be a list of at most ${MAX_CONTROLLERS} URLs`,
    )
  value.forEach((url: unknown, i) => {
    if (typeof url !== 'string' || controllerOrigin(url) === undefined)
      throw new ZhError(
        'ZH_FILE_INVALID',
        `${source}: "controllers[${i}]" must be an https base URL of at most ${MAX_CONTROLLER_URL} characters`,
      )
  })
}

/**
 * Writes an identity file, readable by its owner only (mode 0600), with every controller
 * replica this process knows for it in `controllers` (see `controllerPool`), so that the next
 * start knows them too.
 */
export async function saveIdentity(path: string, identity: IdentityFile): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(withKnownControllers(identity), null, 2)}\n`)
}
