import { chmodSync, closeSync, lstatSync, mkdirSync, openSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { ZhError } from './errors.js'

/** Mode of every file zerohook writes: owner read and write only. */
export const PRIVATE_FILE = 0o600
/** Mode of every folder zerohook writes: owner only. */
export const PRIVATE_DIR = 0o700

/**
 * Creates `dir` (mode 0700, parents too), or checks the folder that is there: one other users
 * may enter is refused with ZH_CONFIG_FILE_MODE rather than changed (it may be shared, like
 * /tmp, or someone else's), so the operator narrows it or picks another.
 *
 * @example
 * ```ts
 * ensurePrivateDir('/var/lib/zerohook/gateway')
 * ```
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR })
  const mode = lstatSync(dir).mode & 0o777
  if ((mode & 0o077) !== 0)
    throw new ZhError('ZH_CONFIG_FILE_MODE', `${dir} is ${octal(mode)}; run chmod 700 ${dir}`)
}

/**
 * Files zerohook wrote (keys, certificates, stores): any that other users can read is narrowed
 * to 0600, with a warning (`ZH_CONFIG_FILE_MODE`); missing ones are skipped.
 *
 * @example
 * ```ts
 * ensurePrivateFiles([paths.db, paths.caKey]) // at start
 * ```
 */
export function ensurePrivateFiles(files: readonly string[]): void {
  for (const file of files) narrow(file, PRIVATE_FILE)
}

/**
 * Before SQLite opens `path`: creates the file 0600 when missing (SQLite gives its `-wal` and
 * `-shm` files the database's mode) and narrows an existing database and its companions.
 * In-memory databases are left alone.
 *
 * @example
 * ```ts
 * preparePrivateDatabase(file)
 * const db = new Database(file)
 * ```
 */
export function preparePrivateDatabase(path: string): void {
  if (path === ':memory:' || path === '') return
  try {
    closeSync(openSync(path, 'a', PRIVATE_FILE))
  } catch (cause) {
    throw new ZhError('ZH_FILE_INVALID', `cannot create ${path}`, { cause })
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`])
    narrow(file, PRIVATE_FILE)
}

// Narrows `path` to `mode` when group or others have any access; missing files are skipped. A
// mode that cannot be narrowed (someone else's file) is an error.
function narrow(path: string, mode: number): void {
  let current: number
  try {
    const stat = lstatSync(path)
    if (stat.isSymbolicLink()) return
    current = stat.mode & 0o777
  } catch {
    return
  }
  if ((current & 0o077) === 0) return
  try {
    chmodSync(path, mode)
  } catch (cause) {
    throw new ZhError('ZH_CONFIG_FILE_MODE', `${path} is ${octal(current)}`, { cause })
  }
  process.emitWarning(
    `${path} could be read by other users of this machine (mode ${octal(current)}); it is now ${octal(mode)}`,
    { code: 'ZH_CONFIG_FILE_MODE' },
  )
}

const octal = (mode: number): string => `0${mode.toString(8)}`

/**
 * Flushes a directory, so that a file just created or renamed in it survives a power cut.
 * Not every platform can open a directory: failures are ignored (the data itself is durable,
 * only its directory entry may lag).
 *
 * @example
 * ```ts
 * await rename(tmp, path)
 * await syncDir(dirname(path))
 * ```
 */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // best effort, see above
  }
}
