import { open } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { ZhError } from '../errors.js'
import { connect } from '../sdk/context.js'
import { loadIdentity } from '../sdk/identity-file.js'
import { fileGrantCache } from '../sdk/grant-cache.js'
import { lazyPino } from '../sdk/log.js'
import { DeliveryError, deliverWebhook, type DeliveryScheme } from '../sdk/webhook-delivery.js'
import { checkHeaders } from '../sdk/webhook-message.js'
import { emit } from './output.js'
import { formatTiming, startTiming, type Timing } from './timing.js'

/** The environment variable holding the signing secret, so it need not be on a command line. */
export const SECRET_ENV = 'ZEROHOOK_WEBHOOK_SECRET'

/** Largest payload read from --data, --file or stdin. */
const MAX_PAYLOAD_BYTES = 1024 * 1024

interface SendOptions {
  identity: string
  service: string
  path: string
  scheme: DeliveryScheme
  secret: string[]
  type: string
  header: string[]
  data?: string
  file?: string
  id?: string
  retries: string
  timeout: string
  /** A file, none (false), or the default next to the identity (unset). */
  grantCache?: string | false
  timing?: boolean
  json?: boolean
}

const collect = (value: string, previous: string[]) => [...previous, value]

/**
 * `zerohook send`: one signed webhook to a service over the overlay, retried on failure.
 *
 * @example
 * ```sh
 * export ZEROHOOK_WEBHOOK_SECRET=whsec_...
 * zerohook send --identity ci.json --service jenkins-webhook --path /github-webhook/ \
 *   --scheme github --type push --file event.json
 * ```
 */
export function sendCommand(program: Command): void {
  program
    .command('send')
    .description('Send one signed webhook to a service over the overlay (retried on failure)')
    .argument('[stdin]', '"-" to read the JSON payload from standard input')
    .requiredOption('--identity <file>', 'identity file of the sender (needs a dial policy)')
    .requiredOption('--service <name>', 'service to deliver to')
    .option('--path <path>', 'request path at the receiver', '/')
    .addOption(
      new Option('--scheme <scheme>', 'signature scheme')
        .choices(['standard', 'github'])
        .default('standard'),
    )
    .option(
      '--secret <secret>',
      `signing secret (repeat for rotation); default $${SECRET_ENV}, which keeps it out of ps`,
      collect,
      [],
    )
    .option('--type <event>', 'event type (X-GitHub-Event with --scheme github)', 'ping')
    .option('--header <name:value>', 'extra request header (repeatable)', collect, [])
    .option('--data <json>', 'the JSON payload')
    .option('--file <file>', 'read the JSON payload from a file')
    .option('--id <id>', 'message id (default a fresh one); resend a failed one with the same id')
    .option('--retries <n>', 'attempts after the first', '3')
    .option('--timeout <ms>', 'per attempt, in milliseconds', '15000')
    .option(
      '--grant-cache <file>',
      'keep grants here for the next send (default: the identity file + .grants)',
    )
    .option('--no-grant-cache', 'always fetch grants from the controller')
    .option('--timing', 'print where the time went to stderr')
    .option('--json', 'machine-readable output')
    .action(async (stdin: string | undefined, opts: SendOptions) => {
      const timing = opts.timing ? startTiming() : undefined
      const payload = await readPayload(stdin, opts)
      const secret = opts.secret.length > 0 ? opts.secret : fromEnv()
      const headers = parseHeaders(opts.header)
      const retries = integer(opts.retries, '--retries')
      const timeoutMs = integer(opts.timeout, '--timeout')
      let started = performance.now()
      const identity = await loadIdentity(opts.identity)
      timing?.step('identity', started)
      // Warnings go to stderr: stdout is the answer (--json must stay parseable).
      const log = lazyPino((pino) =>
        pino({ level: 'warn', base: { component: 'send' } }, pino.destination(2)),
      )
      const grantCache =
        opts.grantCache === false
          ? undefined
          : fileGrantCache(
              typeof opts.grantCache === 'string' ? opts.grantCache : `${opts.identity}.grants`,
            )
      const zh = await connect(identity, { log, grantCache })
      try {
        started = performance.now()
        const res = await deliverWebhook(zh, {
          service: opts.service,
          path: opts.path,
          scheme: opts.scheme,
          secret,
          type: opts.type,
          payload,
          headers,
          id: opts.id,
          retries,
          timeoutMs,
          onRetry: ({ attempt, error, delayMs }) =>
            log.warn({ attempt, error, delayMs }, 'attempt failed; retrying'),
        })
        timing?.step('delivery', started)
        const { id, status, attempts, body, duplicate } = res
        emit(opts.json, { id, status, attempts, duplicate, body }, () => {
          const note = duplicate ? ' (the receiver had it already)' : ''
          process.stdout.write(
            `delivered ${id}: HTTP ${status} after ${attempts} attempt(s)${note}\n`,
          )
          if (body !== '') process.stdout.write(`${body}${body.endsWith('\n') ? '' : '\n'}`)
        })
      } catch (err) {
        if (err instanceof DeliveryError && err.response) {
          const { status, body } = err.response
          process.stderr.write(`message ${err.id}: HTTP ${status} ${body.slice(0, 1024)}\n`)
        }
        throw err
      } finally {
        await zh.close()
        if (timing) printTiming(timing, opts.json)
      }
    })
}

function printTiming(timing: Timing, json: boolean | undefined): void {
  const report = timing.report()
  process.stderr.write(json ? `${JSON.stringify({ timing: report })}\n` : formatTiming(report))
}

function fromEnv(): string {
  const secret = process.env[SECRET_ENV]
  if (!secret) throw new ZhError('ZH_USAGE', `pass --secret or set $${SECRET_ENV}`)
  return secret
}

async function readPayload(stdin: string | undefined, opts: SendOptions): Promise<Buffer> {
  if (stdin !== undefined && stdin !== '-') {
    throw new ZhError('ZH_USAGE', `unexpected argument ${JSON.stringify(stdin)}; use - for stdin`)
  }
  const sources = [opts.data !== undefined, opts.file !== undefined, stdin === '-']
  if (sources.filter(Boolean).length !== 1) {
    throw new ZhError('ZH_USAGE', 'pass exactly one of --data JSON, --file FILE or -')
  }
  let bytes: Buffer
  if (opts.data !== undefined) bytes = Buffer.from(opts.data, 'utf8')
  else if (opts.file !== undefined) bytes = await readCapped(opts.file)
  else bytes = await readStdin()
  try {
    JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ZhError('ZH_SEND_PAYLOAD_INVALID')
  }
  return bytes
}

async function readCapped(path: string): Promise<Buffer> {
  let file
  try {
    file = await open(path, 'r')
  } catch (err) {
    throw new ZhError('ZH_FILE_INVALID', `${path}: ${(err as NodeJS.ErrnoException).code}`)
  }
  try {
    const buffer = Buffer.alloc(MAX_PAYLOAD_BYTES + 1)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    if (bytesRead > MAX_PAYLOAD_BYTES) throw new ZhError('ZH_SEND_PAYLOAD_TOO_LARGE', path)
    return buffer.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_PAYLOAD_BYTES) throw new ZhError('ZH_SEND_PAYLOAD_TOO_LARGE', 'stdin')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** `Name: value` pairs; the value may hold colons (URLs), the name may not. */
function parseHeaders(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const item of list) {
    const colon = item.indexOf(':')
    if (colon <= 0)
      throw new ZhError('ZH_USAGE', `--header ${JSON.stringify(item)}: use NAME:VALUE`)
    headers[item.slice(0, colon).trim()] = item.slice(colon + 1).trim()
  }
  return checkHeaders(headers)
}

function integer(text: string, name: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new ZhError('ZH_USAGE', `${name} takes a whole number`)
  return Number(text)
}
