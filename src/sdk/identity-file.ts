import { readFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import { ZhError } from '../errors.js'
import { writeSecretFile } from '../pki/files.js'

/** An enrolled principal: who it is, where its controller is, and its key material. */
export interface IdentityFile {
  version: 1
  id: string
  name: string
  kind: 'endpoint' | 'admin' | 'router'
  network: string
  /** Base URL of the controller, e.g. https://127.0.0.1:1280 */
  controller: string
  certificate: string
  key: string
  ca: string
  /** The controller's public key for tokens and grants. */
  grantKey: JWK
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
  return data as unknown as IdentityFile
}

/** Writes an identity file, readable by its owner only (mode 0600). */
export async function saveIdentity(path: string, identity: IdentityFile): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(identity, null, 2)}\n`)
}
