import { Option, type Command } from 'commander'
import { readFileCapped, readStdinCapped } from './input.js'
import { SECRET_ENV, readSecrets, secretFlags } from './secret-flags.js'
import { ZhError } from '../errors.js'
import { connect } from '../sdk/context.js'
import { loadIdentity } from '../sdk/identity-file.js'
import { fileGrantCache } from '../sdk/grant-cache.js'
import { lazyPino } from '../sdk/log.js'
import { DeliveryError, deliverWebhook, type DeliveryScheme } from '../sdk/webhook-delivery.js'
import { checkHeaders } from '../sdk/webhook-message.js'
import { emit } from './output.js'
import { formatTiming, startTiming, type Timing } from './timing.js'

export { SECRET_ENV }

/** Largest payload read from --data, --file or stdin. */
const MAX_PAYLOAD_BYTES = 1024 * 1024

interface SendOptions {
  identity: string
  service: string
  path: string
  scheme: DeliveryScheme
  secret: string[]
  secretFile?: string
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
  const [secretFlag, secretFileFlag] = secretFlags('signing secret')
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
    .addOption(secretFlag)
    .addOption(secretFileFlag)
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
      const secret = await readSecrets(opts, {
        stdinTaken: stdin === '-' ? 'the payload (-)' : undefined,
      })
      if (secret.length === 0)
        throw new ZhError('ZH_USAGE', `pass --secret-file FILE, $${SECRET_ENV} or --secret`)
      const payload = await readPayload(stdin, opts)
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
  else if (opts.file !== undefined)
    bytes = await readFileCapped(opts.file, MAX_PAYLOAD_BYTES, 'ZH_SEND_PAYLOAD_TOO_LARGE')
  else
    bytes = await readStdinCapped(MAX_PAYLOAD_BYTES, 'the payload', 'ZH_SEND_PAYLOAD_TOO_LARGE', {
      typing: true,
    })
  try {
    JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ZhError('ZH_SEND_PAYLOAD_INVALID')
  }
  return bytes
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
