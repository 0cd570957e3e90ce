import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signWebhook } from '../src/webhooks/index.js'
import { CLI, tempDir } from './helpers/cli.js'

// `zerohook verify` run as a user runs it: the built CLI, the capture on standard input.
interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function zerohook(args: string[], stdin: string | Buffer = '', env: NodeJS.ProcessEnv = {}) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ZEROHOOK_WEBHOOK_SECRET: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.on('error', () => {}) // a refusal before reading closes the pipe early
    child.stdin.end(stdin)
  })
}

/** A raw request: request line, headers, blank line, body; `eol` is CRLF or LF. */
function capture(
  headers: Record<string, string>,
  body: string,
  { eol = '\r\n', length = true, target = '/hook' } = {},
): string {
  const lines = [
    `POST ${target} HTTP/1.1`,
    'Host: hooks.example.com',
    'Content-Type: application/json',
  ]
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  if (length) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return `${lines.join(eol)}${eol}${eol}${body}`
}

const GITHUB_SECRET = 'It is a secret to everybody'
const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const T0 = 1_700_000_000
const event = JSON.stringify({ action: 'opened', issue: { number: 7, title: 'Café ☕' } })
const github = signWebhook({ scheme: 'github', secret: GITHUB_SECRET, id: 'd-42', body: event })
const standard = signWebhook({
  scheme: 'standard',
  secret: STANDARD_SECRET,
  id: 'msg_1',
  timestamp: T0,
  body: event,
})

let dir: string
let cleanup: () => Promise<void>
let githubSecretFile: string
const gh = ['verify', '--scheme', 'github']

beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir('zh-verify-'))
  githubSecretFile = join(dir, 'github.secret')
  await writeFile(githubSecretFile, `${GITHUB_SECRET}\n`, { mode: 0o600 })
})
afterAll(() => cleanup())

describe('zerohook verify: a message that verifies', () => {
  it('prints the id and exits 0, the secret from a file (its final newline not part of it)', async () => {
    const r = await zerohook([...gh, '--secret-file', githubSecretFile], capture(github, event))
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toBe('verified: github message d-42, no signed time\n')
  })

  it('reads LF-only captures, and --now checks an old one at its time (--json)', async () => {
    const request = capture(standard, event, { eol: '\n' })
    const r = await zerohook(
      ['verify', '--scheme', 'standard', '--now', String(T0 + 10), '--json'],
      request,
      { ZEROHOOK_WEBHOOK_SECRET: STANDARD_SECRET },
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      scheme: 'standard',
      id: 'msg_1',
      timestamp: T0,
    })
  })

  it('warns that --secret shows in ps, and recommends --secret-file', async () => {
    const r = await zerohook([...gh, '--secret', GITHUB_SECRET], capture(github, event))
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^warning: .*visible to other users.*--secret-file/)
  })

  it('reads the secret from stdin with --secret-file - when the request comes from --file', async () => {
    const file = join(dir, 'request.http')
    await writeFile(file, capture(github, event))
    const r = await zerohook([...gh, '--file', file, '--secret-file', '-'], `${GITHUB_SECRET}\n`)
    expect(r.code).toBe(0)
    const both = await zerohook([...gh, '--secret-file', '-'], capture(github, event))
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/^ZH_USAGE: .*--file/m)
  })

  it('honours Content-Length (bytes after it are not the body) and decodes a chunked body', async () => {
    const trailing = await zerohook(
      [...gh, '--secret-file', githubSecretFile],
      `${capture(github, event)}\n`,
    )
    expect(trailing.code).toBe(0)
    expect(trailing.stderr).toMatch(/1 byte\(s\) after the Content-Length body/)
    const bytes = Buffer.from(event)
    const chunked = [
      `${(20).toString(16)};ext=1`,
      bytes.subarray(0, 20).toString('latin1'),
      (bytes.length - 20).toString(16),
      bytes.subarray(20).toString('latin1'),
      '0',
      'X-Trailer: t',
      '',
      '',
    ].join('\r\n')
    const head = capture({ ...github, 'Transfer-Encoding': 'chunked' }, '', { length: false })
    const r = await zerohook(
      [...gh, '--secret-file', githubSecretFile],
      Buffer.concat([Buffer.from(head), Buffer.from(chunked, 'latin1')]),
    )
    expect(r).toMatchObject({ code: 0, stdout: 'verified: github message d-42, no signed time\n' })
  })

  it('takes the URL a scheme signs from the Host header and the target', async () => {
    const url = 'https://hooks.example.com/sms?account=7'
    const form = 'Body=hello&From=%2B15005550006'
    const twilio = signWebhook({
      scheme: 'twilio',
      secret: 'twilio token',
      url,
      id: 'tw-1',
      body: form,
    })
    const request = capture(twilio, form, { target: '/sms?account=7' })
    const r = await zerohook(['verify', '--scheme', 'twilio'], request, {
      ZEROHOOK_WEBHOOK_SECRET: 'twilio token',
    })
    expect(r).toMatchObject({ code: 0, stdout: 'verified: twilio message tw-1, no signed time\n' })
    const elsewhere = await zerohook(
      ['verify', '--scheme', 'twilio', '--url', 'https://proxy.example.com/sms?account=7'],
      request,
      { ZEROHOOK_WEBHOOK_SECRET: 'twilio token' },
    )
    expect(elsewhere.code).toBe(1)
    expect(elsewhere.stderr).toMatch(/twilio signs the URL: pass --url/)
  })
})

describe('zerohook verify: why a message fails', () => {
  const std = ['verify', '--scheme', 'standard']
  const stdEnv = { ZEROHOOK_WEBHOOK_SECRET: STANDARD_SECRET }

  it('clock skew: the signature is valid, the timestamp is too old or ahead', async () => {
    const request = capture(standard, event)
    const old = await zerohook([...std, '--now', String(T0 + 400)], request, stdEnv)
    expect(old.code).toBe(1)
    expect(old.stderr).toMatch(/^ZH_WEBHOOK_TIMESTAMP_STALE: .*\(400 s old\)$/m)
    expect(old.stderr).toMatch(
      /signature is valid.*signed at 2023-11-14T22:13:20Z \(1700000000\), 400 s/,
    )
    expect(old.stderr).toMatch(/^fix: to check an old capture, pass --now 1700000000/m)
    const ahead = await zerohook([...std, '--now', String(T0 - 3600)], request, stdEnv)
    expect(ahead.code).toBe(1)
    expect(ahead.stderr).toMatch(/^ZH_WEBHOOK_TIMESTAMP_FUTURE: /m)
    expect(ahead.stderr).toMatch(/signature is valid.*3600 s \(60 min\) ahead/)
    const tolerant = await zerohook(
      [...std, '--now', String(T0 + 400), '--tolerance', '500'],
      request,
      stdEnv,
    )
    expect(tolerant.code).toBe(0)
  })

  it('wrong secret: nothing verifies, not even the body undone', async () => {
    const r = await zerohook([...gh, '--secret', 'not the secret'], capture(github, event))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_WEBHOOK_SIGNATURE_INVALID: /m)
    expect(r.stderr).toMatch(/^why: .*the secret is most likely wrong/m)
    expect(r.stderr).toMatch(/^fix: copy this endpoint's signing secret again/m)
    // An old message signed with another secret is a wrong secret first, late second.
    const both = await zerohook([...std, '--now', String(T0 + 400)], capture(standard, event), {
      ZEROHOOK_WEBHOOK_SECRET: 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ==',
    })
    expect(both.stderr).toMatch(/^ZH_WEBHOOK_SIGNATURE_INVALID: /m)
    expect(both.stderr).toMatch(/timestamp is 400 s old/)
  })

  it('body changed: a final newline, line ends, or JSON written again', async () => {
    const run = (body: string, headers = github) =>
      zerohook([...gh, '--secret-file', githubSecretFile], capture(headers, body))
    const cases: [string, RegExp][] = [
      [`${event}\n`, /a newline was added at the end/],
      [
        JSON.stringify(JSON.parse(event), null, 2),
        /JSON was parsed and written again; it was signed compact/,
      ],
    ]
    for (const [body, change] of cases) {
      const r = await run(body)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^ZH_WEBHOOK_BODY_CHANGED: /m)
      expect(r.stderr).toMatch(change)
    }
    const lines = 'line one\nline two\n'
    const signed = signWebhook({ scheme: 'github', secret: GITHUB_SECRET, id: 'd-43', body: lines })
    const crlf = await run(lines.replace(/\n/g, '\r\n'), signed)
    expect(crlf.stderr).toMatch(
      /^ZH_WEBHOOK_BODY_CHANGED: .*line ends were changed from LF to CRLF/m,
    )
    const pretty = JSON.stringify({ a: 1, b: 'é/x' }, null, 2)
    const fromPhp = signWebhook({
      scheme: 'github',
      secret: GITHUB_SECRET,
      id: 'd-44',
      body: '{"a":1,"b":"\\u00e9\\/x"}',
    })
    const php = await run(pretty, fromPhp)
    expect(php.stderr).toMatch(/escaped, as PHP does/)
  })

  it('header missing: names it, and suggests the scheme the headers belong to', async () => {
    const unsigned = Object.fromEntries(
      Object.entries(github).filter(([name]) => name !== 'X-Hub-Signature-256'),
    )
    const r = await zerohook([...gh, '--secret-file', githubSecretFile], capture(unsigned, event))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_WEBHOOK_HEADER_MISSING: .*\(X-Hub-Signature-256\)$/m)
    expect(r.stderr).toMatch(/^why: the request has no X-Hub-Signature-256 header/m)
    const stripe = await zerohook(
      ['verify', '--scheme', 'stripe', '--secret-file', githubSecretFile],
      capture(github, event),
    )
    expect(stripe.stderr).toMatch(/^ZH_WEBHOOK_HEADER_MISSING: .*\(Stripe-Signature\)$/m)
    expect(stripe.stderr).toMatch(/try --scheme github/)
  })

  it('malformed header: a duplicated signature, a timestamp that is not seconds', async () => {
    const twice = capture(github, event).replace(
      'X-GitHub-Delivery: d-42',
      `X-GitHub-Delivery: d-42\r\nX-Hub-Signature-256: ${github['X-Hub-Signature-256']}`,
    )
    const r = await zerohook([...gh, '--secret-file', githubSecretFile], twice)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_WEBHOOK_HEADER_MALFORMED: .*X-Hub-Signature-256 is duplicated/m)
    expect(r.stderr).toMatch(/^fix: verify the header exactly as the provider sent it/m)
    const stamp = await zerohook(
      std,
      capture({ ...standard, 'webhook-timestamp': '17e8' }, event),
      stdEnv,
    )
    expect(stamp.stderr).toMatch(/^ZH_WEBHOOK_TIMESTAMP_INVALID: /m)
  })

  it('--json: the diagnosis on stdout, the code on stderr, exit 1', async () => {
    const r = await zerohook(
      [...gh, '--secret-file', githubSecretFile, '--json'],
      capture(github, `${event}\n`),
    )
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      code: 'ZH_WEBHOOK_BODY_CHANGED',
      detail: 'a newline was added at the end',
      fix: expect.stringMatching(/raw body bytes/) as string,
    })
    expect(r.stderr).toMatch(/^ZH_WEBHOOK_BODY_CHANGED: /m)
  })
})

describe('zerohook verify: captures it cannot read', () => {
  const run = (request: string | Buffer, more: string[] = []) =>
    zerohook([...gh, '--secret-file', githubSecretFile, ...more], request)

  it('refuses what is not an HTTP/1.1 request, or is cut short, or framed two ways', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['', /the input is empty|no blank line/],
      ['{"just":"a body"}', /no blank line ends the headers/],
      [`GET\r\n\r\n`, /line 1 is not "METHOD \/path HTTP\/1.1"/],
      [capture(github, event).replace('Content-Type:', ' Content-Type:'), /folded/],
      [capture(github, event).slice(0, -5), /the capture is cut short/],
      [
        capture({ ...github, 'Transfer-Encoding': 'chunked' }, event),
        /both Transfer-Encoding and Content-Length/,
      ],
      [
        capture({ ...github, 'Transfer-Encoding': 'gzip' }, event, { length: false }),
        /gzip is not supported/,
      ],
      [
        capture({ ...github, 'Content-Length': '3' }, event),
        /Content-Length is given twice, differently/,
      ],
    ]
    for (const [request, why] of cases) {
      const r = await run(request)
      expect(r.code, String(why)).toBe(1)
      expect(r.stderr).toMatch(/^ZH_VERIFY_REQUEST_INVALID: /m)
      expect(r.stderr).toMatch(why)
    }
  })

  it('caps the body (--max-body) and the headers', async () => {
    const r = await run(capture(github, event), ['--max-body', '16'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_VERIFY_REQUEST_TOO_LARGE: .*over 16 bytes/m)
    const huge = capture({ ...github, 'X-Padding': 'p'.repeat(70 * 1024) }, event)
    expect((await run(huge)).stderr).toMatch(/^ZH_VERIFY_REQUEST_TOO_LARGE: .*headers/m)
  })

  it('is a usage error (exit 2) for an unknown scheme or a bad flag', async () => {
    const unknown = await zerohook(
      ['verify', '--scheme', 'nope', '--secret-file', githubSecretFile],
      capture(github, event),
    )
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^ZH_USAGE: .*unknown --scheme nope; one of standard, github/m)
    const now = await run(capture(github, event), ['--now', 'yesterday'])
    expect(now.code).toBe(2)
  })
})
