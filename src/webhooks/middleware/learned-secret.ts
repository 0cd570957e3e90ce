import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ZhError } from '../../errors.js'
import { syncDir } from '../../private-files.js'

/**
 * Where a receiver keeps the secret a provider hands over in its handshake (Asana's
 * `X-Hook-Secret`). Trust on first use: the first handshake's secret is kept, and a later
 * handshake is refused while one is kept, so whoever reaches the URL after the provider cannot
 * swap it.
 */
export interface LearnedSecretStore {
  /** Where the secret is kept, for logs (never the secret). */
  readonly where: string
  /** The secret learned so far, or undefined. Read on each use: removing it takes effect at once. */
  read(): Promise<string | undefined>
  /** Keeps `secret`; rejects with ZH_WEBHOOK_SECRET_ALREADY_LEARNED when one is kept already. */
  learn(secret: string): Promise<void>
}

// What a handshake may hand over: printable ASCII, as providers issue them; a file line.
const SECRET = /^[\x21-\x7e]{1,1024}$/

/**
 * A learned secret kept in `file` (mode 0600, its directory created 0700). Learning is
 * exclusive: the file is written aside, flushed, then linked into place, which fails when a
 * secret is already there, also when two handshakes race. The operator removes the file to let
 * a new handshake through.
 *
 * @example
 * ```ts
 * const learned = fileLearnedSecret('/var/lib/zerohook/gateway/learned/%2Fasana.secret')
 * await learned.read() // undefined until the provider's handshake
 * ```
 */
export function fileLearnedSecret(file: string): LearnedSecretStore {
  return {
    where: file,
    async read() {
      try {
        const text = (await readFile(file, 'utf8')).trim()
        return text === '' ? undefined : text
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async learn(secret) {
      if (!SECRET.test(secret)) {
        throw new ZhError(
          'ZH_WEBHOOK_HEADER_MALFORMED',
          'the secret handed over is not 1-1024 printable characters',
        )
      }
      await writeExclusive(file, `${secret}\n`)
    },
  }
}

async function writeExclusive(file: string, data: string): Promise<void> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(data, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(tmp, file)
    await syncDir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ZhError('ZH_WEBHOOK_SECRET_ALREADY_LEARNED', file)
    }
    throw err
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}
