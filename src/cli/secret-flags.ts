import { Option } from 'commander'
import { ZhError } from '../errors.js'
import { readFileCapped, readStdinCapped } from './input.js'

/** The environment variable commands read a webhook secret from when no flag gives one. */
export const SECRET_ENV = 'ZEROHOOK_WEBHOOK_SECRET'

/** Largest secret file read: a few secrets (rotation), one a line. */
const MAX_SECRET_FILE_BYTES = 64 * 1024

/** The options {@link secretFlags} gives. */
export interface SecretFlags {
  secret: string[]
  secretFile?: string
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/**
 * `--secret VALUE` (repeatable; other users of the machine see it in `ps`) and
 * `--secret-file FILE` (one secret a line; `-` reads standard input), for `addOption`.
 *
 * @example
 * ```ts
 * const [secret, secretFile] = secretFlags('signing secret')
 * program.command('send').addOption(secret).addOption(secretFile)
 * ```
 */
export function secretFlags(what: string): [Option, Option] {
  return [
    new Option(
      '--secret <secret>',
      `${what}, repeatable for rotation; visible to other users in ps: prefer --secret-file or $${SECRET_ENV}`,
    )
      .argParser(collect)
      .default([]),
    new Option('--secret-file <file>', `read the ${what}(s) from FILE, one a line; - reads stdin`),
  ]
}

/**
 * The secrets the flags give: `--secret` values (with a warning on stderr that they are
 * visible to other users), then the lines of `--secret-file`, else `$ZEROHOOK_WEBHOOK_SECRET`;
 * empty when none is given. `stdinTaken` names what already reads standard input, so
 * `--secret-file -` is refused rather than mixed with it.
 *
 * @example
 * ```ts
 * const secrets = await readSecrets(opts, { stdinTaken: stdin === '-' ? 'the payload' : undefined })
 * ```
 */
export async function readSecrets(
  flags: SecretFlags,
  opts: { stdinTaken?: string } = {},
): Promise<string[]> {
  const secrets = [...flags.secret]
  if (secrets.length > 0) {
    process.stderr.write(
      `warning: a secret given with --secret is visible to other users of this machine (ps, shell history); use --secret-file FILE or $${SECRET_ENV}\n`,
    )
  }
  if (flags.secretFile !== undefined) {
    const fromStdin = flags.secretFile === '-'
    if (fromStdin && opts.stdinTaken)
      throw new ZhError('ZH_USAGE', `--secret-file - and ${opts.stdinTaken} both read stdin`)
    const text = (
      fromStdin
        ? await readStdinCapped(MAX_SECRET_FILE_BYTES, 'the secret', 'ZH_FILE_INVALID')
        : await readFileCapped(flags.secretFile, MAX_SECRET_FILE_BYTES, 'ZH_FILE_INVALID')
    ).toString('utf8')
    // One secret a line; line ends (an editor's final newline) and blank lines are not secrets.
    const lines = text.split(/\r?\n/).filter((line) => line !== '')
    if (lines.length === 0)
      throw new ZhError('ZH_USAGE', `--secret-file ${flags.secretFile} holds no secret`)
    secrets.push(...lines)
  }
  const env = process.env[SECRET_ENV]
  if (secrets.length === 0 && env) secrets.push(env)
  return secrets
}
