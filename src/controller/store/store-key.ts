import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ZhError, isZhError } from '../../errors.js'

/** The environment variable that holds the store key, when no key file is given. */
export const STORE_KEY_ENV = 'ZEROHOOK_STORE_KEY'

/** A new store key, base64url (32 random bytes). */
export function newStoreKey(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The key that seals the network's secrets in a shared store: from `file` when given, else from
 * $ZEROHOOK_STORE_KEY. 32 bytes, written as base64url (43 characters) or hex (64).
 */
export async function readStoreKey(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  let text: string | undefined
  if (file !== undefined) {
    try {
      text = (await readFile(file, 'utf8')).slice(0, 1024)
    } catch (err) {
      throw new ZhError('ZH_STORE_KEY_MISSING', `${file}: ${(err as NodeJS.ErrnoException).code}`)
    }
  } else text = env[STORE_KEY_ENV]
  if (text === undefined || text.trim() === '') throw new ZhError('ZH_STORE_KEY_MISSING')
  return parseStoreKey(text.trim())
}

/**
 * The store key given (`file`, else the environment), or a new one when none was given at all
 * (`generated`, with its `text` for the caller to save). A key given but unreadable or wrong is
 * an error, never replaced.
 */
export async function readOrMakeStoreKey(
  file: string | undefined,
): Promise<{ key: Buffer; generated: boolean; text: string }> {
  try {
    return { key: await readStoreKey(file), generated: false, text: '' }
  } catch (err) {
    if (file !== undefined || !isZhError(err, 'ZH_STORE_KEY_MISSING')) throw err
    const text = newStoreKey()
    return { key: parseStoreKey(text), generated: true, text }
  }
}

/** Decodes a store key; anything but 32 bytes is refused. */
export function parseStoreKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : /^[A-Za-z0-9_-]{43}$/.test(text)
      ? Buffer.from(text, 'base64url')
      : undefined
  if (key?.length !== 32)
    throw new ZhError('ZH_STORE_KEY_INVALID', 'expected 32 bytes as base64url (43 chars) or hex')
  return key
}

/**
 * Seals a secret for the `secrets` table: AES-256-GCM, a random 96-bit nonce, the secret's name
 * as associated data (a sealed value cannot be moved to another name).
 */
export function seal(key: Buffer, name: string, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(`zerohook-secret:${name}`))
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return ['v1', iv, cipher.getAuthTag(), ct]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.')
}

/** Opens a sealed secret; a wrong key or a changed value is ZH_STORE_KEY_INVALID. */
export function unseal(key: Buffer, name: string, sealed: string): string {
  const [v, iv, tag, ct] = sealed.split('.')
  if (v !== 'v1' || !iv || !tag || ct === undefined)
    throw new ZhError('ZH_STORE_KEY_INVALID', `${name}: not a sealed value`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(`zerohook-secret:${name}`))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([
      decipher.update(Buffer.from(ct, 'base64url')),
      decipher.final(),
    ]).toString('utf8')
  } catch {
    throw new ZhError('ZH_STORE_KEY_INVALID', name)
  }
}
