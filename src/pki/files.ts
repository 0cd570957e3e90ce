import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { syncDir } from '../private-files.js'

/**
 * Writes a private key or other secret: mode 0600, atomically (a temporary file in the same
 * directory, flushed, then renamed over the target), so a reader never sees a half-written key
 * and a crash leaves the old file intact. A missing parent directory is created with mode 0700.
 *
 * @example
 * ```ts
 * await writeSecretFile('/etc/zerohook/ca.key', ca.keyPem)
 * ```
 */
export async function writeSecretFile(path: string, data: string): Promise<void> {
  await writeAtomic(path, data, 0o600)
}

/**
 * Writes a public file (a certificate, a CA bundle): mode 0644, atomically like
 * {@link writeSecretFile}.
 *
 * @example
 * ```ts
 * await writePublicFile('/etc/zerohook/ca.crt', ca.certPem)
 * ```
 */
export async function writePublicFile(path: string, data: string): Promise<void> {
  await writeAtomic(path, data, 0o644)
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  // 'wx': never follow or reuse something already at the temporary name.
  const handle = await open(tmp, 'wx', mode)
  try {
    try {
      await handle.chmod(mode) // the umask may have narrowed (or, for 0644, hidden) the mode
      await handle.writeFile(data, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  await syncDir(dir)
}
