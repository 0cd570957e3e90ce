import type { Command } from 'commander'
import { ZhError } from '../errors.js'
import { DEFAULT_MAX_BODY_BYTES } from '../webhooks/verify-input.js'
import { diagnoseWebhook, type Diagnosis } from '../webhooks/diagnose.js'
import { DEFAULT_MAX_HEAD_BYTES, parseCapturedRequest } from '../webhooks/http-request.js'
import { listSchemes } from '../webhooks/registry.js'
import type { SchemeName, SchemeOptionValue, SchemeOptions } from '../webhooks/types.js'
import { readFileCapped, readStdinCapped } from './input.js'
import { emit } from './output.js'
import { readSecrets, secretFlags } from './secret-flags.js'

interface VerifyCliOptions {
  scheme: string
  secret: string[]
  secretFile?: string
  publicKey: string[]
  url?: string
  option: string[]
  now?: string
  tolerance?: string
  file?: string
  maxBody: string
  json?: boolean
}

const collect = (value: string, previous: string[]) => [...previous, value]

/**
 * `zerohook verify`: checks a captured webhook request (raw HTTP/1.1, from standard input or
 * `--file`) and prints its id and signed time, or exactly why it fails and what to do.
 *
 * @example
 * ```sh
 * zerohook verify --scheme github --secret-file github.secret < request.http
 * ```
 */
export function verifyCommand(program: Command): void {
  const [secretFlag, secretFileFlag] = secretFlags('shared secret')
  program
    .command('verify')
    .description('Check a captured webhook request (raw HTTP) and say exactly why it fails')
    .requiredOption('--scheme <scheme>', 'signature scheme (standard, github, stripe, ...)')
    .addOption(secretFlag)
    .addOption(secretFileFlag)
    .option(
      '--public-key <key>',
      'public key, as the scheme takes it (whpk_..., hex, base64 DER, a JWK), repeatable',
      collect,
      [],
    )
    .option(
      '--url <url>',
      'the public URL the provider called (default https://HOST/TARGET of the request)',
    )
    .option(
      '--option <key=value>',
      'scheme option (repeat a key for a list; true/false are booleans)',
      collect,
      [],
    )
    .option(
      '--now <seconds>',
      "the time to check against: Unix seconds or ISO 8601 (default this clock's)",
    )
    .option('--tolerance <seconds>', "allowed clock difference (default the scheme's)")
    .option('--file <file>', 'read the request from a file instead of standard input')
    .option('--max-body <bytes>', 'largest body accepted', String(DEFAULT_MAX_BODY_BYTES))
    .option('--json', 'machine-readable output')
    .action(async (opts: VerifyCliOptions) => {
      const scheme = schemeName(opts.scheme)
      const maxBody = wholeNumber(opts.maxBody, '--max-body')
      // Before the request: `--secret-file -` and a request on stdin cannot share it.
      const secrets = await readSecrets(opts, {
        stdinTaken: opts.file === undefined ? 'the request (pass it with --file)' : undefined,
      })
      // The request's head, its body and a chunked body's framing fit in this much.
      const cap = DEFAULT_MAX_HEAD_BYTES + 2 * maxBody + 64 * 1024
      const raw =
        opts.file !== undefined
          ? await readFileCapped(opts.file, cap, 'ZH_VERIFY_REQUEST_TOO_LARGE')
          : await readStdinCapped(cap, 'the request', 'ZH_VERIFY_REQUEST_TOO_LARGE')
      const request = parseCapturedRequest(raw, { maxBodyBytes: maxBody })
      if (request.ignoredBytes > 0) {
        process.stderr.write(
          `note: ${request.ignoredBytes} byte(s) after the Content-Length body are not part of it\n`,
        )
      }
      const diagnosis = await diagnoseWebhook({
        scheme,
        secrets,
        ...(opts.publicKey.length > 0 ? { publicKey: opts.publicKey } : {}),
        headers: request.headers,
        body: request.body,
        url: opts.url ?? publicUrl(request.target, request.headers),
        method: request.method,
        options: schemeOptions(opts.option),
        ...(opts.now !== undefined ? { now: seconds(opts.now) } : {}),
        ...(opts.tolerance !== undefined
          ? { tolerance: wholeNumber(opts.tolerance, '--tolerance') }
          : {}),
        maxBodyBytes: maxBody,
      })
      report(diagnosis, opts.json)
    })
}

function report(diagnosis: Diagnosis, json: boolean | undefined): void {
  if (diagnosis.ok) {
    const { id, timestamp, scheme } = diagnosis.verified
    emit(json, { ok: true, scheme, id, timestamp }, () => {
      const signed =
        timestamp === null
          ? 'no signed time'
          : `signed at ${new Date(timestamp * 1000).toISOString().replace('.000Z', 'Z')} (${timestamp})`
      process.stdout.write(`verified: ${scheme} message ${id}, ${signed}\n`)
    })
    return
  }
  const { code, detail, reason, fix, signedAt } = diagnosis
  if (json) {
    const answer = { ok: false, code, detail, reason, fix, ...(signedAt ? { signedAt } : {}) }
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  } else process.stderr.write(`why: ${reason}\nfix: ${fix}\n`)
  throw new ZhError(code, detail)
}

function schemeName(name: string): SchemeName {
  const schemes: readonly string[] = listSchemes()
  if (!schemes.includes(name)) {
    throw new ZhError('ZH_USAGE', `unknown --scheme ${name}; one of ${schemes.join(', ')}`)
  }
  return name as SchemeName
}

// The URL the provider called, as a proxy or a provider's log shows it: an absolute target as
// is, else https with the Host header. Only the schemes that sign the URL read it.
function publicUrl(
  target: string,
  headers: Readonly<Record<string, readonly string[]>>,
): string | undefined {
  if (/^https?:\/\//i.test(target)) return target
  const host = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1][0]
  return host && target.startsWith('/') ? `https://${host}${target}` : undefined
}

function schemeOptions(pairs: readonly string[]): SchemeOptions {
  const options: Record<string, SchemeOptionValue> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new ZhError('ZH_USAGE', `--option ${pair}: write key=value`)
    const key = pair.slice(0, eq)
    const text = pair.slice(eq + 1)
    const value = text === 'true' ? true : text === 'false' ? false : text
    const known = options[key]
    if (known === undefined) options[key] = value
    else if (typeof value !== 'string' || typeof known === 'boolean' || typeof known === 'number') {
      throw new ZhError('ZH_USAGE', `--option ${key} is given twice`)
    } else options[key] = [...(typeof known === 'string' ? [known] : known), value]
  }
  return options
}

function seconds(text: string): number {
  if (/^[0-9]{1,12}$/.test(text)) return Number(text)
  const ms = Date.parse(text)
  if (Number.isNaN(ms))
    throw new ZhError('ZH_USAGE', `--now ${text}: Unix seconds or an ISO 8601 time`)
  return Math.floor(ms / 1000)
}

function wholeNumber(text: string, flag: string): number {
  if (!/^[0-9]{1,12}$/.test(text)) throw new ZhError('ZH_USAGE', `${flag} ${text}: a whole number`)
  return Number(text)
}
