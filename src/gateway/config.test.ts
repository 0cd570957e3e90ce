import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { isZhError } from '../errors.js'
import { listSchemes } from '../webhooks/registry.js'
import { loadGatewayConfig, parseGatewayConfig } from './config.js'

const dir = mkdtempSync(join(tmpdir(), 'zh-gw-config-'))
writeFileSync(join(dir, 'cert.pem'), 'CERT')
writeFileSync(join(dir, 'key.pem'), 'KEY')
writeFileSync(join(dir, 'secret.txt'), 'from-a-file\n')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = { GH_SECRET: 'from-the-env', GW_TOKEN: 'a-bearer-token-of-32-characters!' }
const ctx = { baseDir: dir, env }

const route = () => ({
  path: '/github',
  scheme: 'github',
  secrets: [{ env: 'GH_SECRET' }, { file: 'secret.txt' }, { value: 'inline' }],
  allow: ['140.82.112.0/20', '127.0.0.1/32'],
  token: { env: 'GW_TOKEN' },
  target: { service: 'jenkins-webhook', path: '/github-webhook/' },
})
const base = (): Record<string, unknown> => ({
  listen: '127.0.0.1:0',
  tls: { cert: 'cert.pem', key: 'key.pem' },
  state: './state',
  routes: [route()],
})

function fails(
  doc: unknown,
  envOverride: NodeJS.ProcessEnv = env,
): { code: string; detail: string } {
  try {
    parseGatewayConfig(typeof doc === 'string' ? doc : stringify(doc), {
      baseDir: dir,
      env: envOverride,
    })
  } catch (err) {
    if (isZhError(err)) return { code: err.code, detail: err.detail ?? '' }
    throw err
  }
  throw new Error('the configuration was accepted')
}

function withRoute(change: (r: Record<string, unknown>) => void): Record<string, unknown> {
  const doc = base()
  const r = route() as Record<string, unknown>
  change(r)
  doc.routes = [r]
  return doc
}

describe('gateway configuration', () => {
  it('reads a valid file: secrets from env, file and value; paths relative to the file', () => {
    const file = join(dir, 'gateway.yaml')
    writeFileSync(file, stringify(base()))
    const config = loadGatewayConfig(file, env)
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 })
    expect(config.tls).toEqual({ cert: 'CERT', key: 'KEY', ca: undefined })
    expect(config.state).toBe(join(dir, 'state'))
    expect(config.maxBodyBytes).toBe(1024 * 1024)
    expect(config.forward.maxAttempts).toBe(8)
    const [r] = config.routes
    expect(r?.secrets).toEqual(['from-the-env', 'from-a-file', 'inline'])
    expect(r?.tokens).toEqual([env.GW_TOKEN])
    expect(r?.target).toEqual({ service: 'jenkins-webhook', path: '/github-webhook/' })
  })

  it('accepts IPv6 listen addresses and a forward section', () => {
    const config = parseGatewayConfig(
      stringify({
        ...base(),
        listen: '[::1]:8443',
        forward: { timeoutMs: 500, delaysMs: [0, 100] },
      }),
      ctx,
    )
    expect(config.listen).toEqual({ host: '::1', port: 8443 })
    expect(config.forward).toEqual({
      timeoutMs: 500,
      delaysMs: [0, 100],
      maxAttempts: 2,
      retentionS: 7 * 86_400,
      maxPending: 100_000,
    })
  })

  it('reads the queue retention and cap, with defaults when the forward section is absent', () => {
    const forward = (doc: Record<string, unknown>) =>
      parseGatewayConfig(stringify(doc), ctx).forward
    expect(forward(base())).toMatchObject({ retentionS: 604_800, maxPending: 100_000 })
    expect(forward({ ...base(), forward: { retentionS: 3600, maxPending: 50 } })).toMatchObject({
      retentionS: 3600,
      maxPending: 50,
    })
  })

  const cases: [string, () => unknown, string, string][] = [
    ['not YAML', () => 'listen: [', 'ZH_GATEWAY_CONFIG_INVALID', '(file)'],
    [
      'an unknown top-level field',
      () => ({ ...base(), lisen: 'x' }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'lisen',
    ],
    [
      'a bad listen',
      () => ({ ...base(), listen: 'localhost' }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'listen',
    ],
    [
      'a port over 65535',
      () => ({ ...base(), listen: '127.0.0.1:70000' }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'listen',
    ],
    ['no tls', () => ({ ...base(), tls: undefined }), 'ZH_GATEWAY_CONFIG_INVALID', 'tls'],
    [
      'a missing cert file',
      () => ({ ...base(), tls: { cert: 'nope.pem', key: 'key.pem' } }),
      'ZH_GATEWAY_CONFIG_SOURCE_MISSING',
      'tls.cert',
    ],
    ['no state', () => ({ ...base(), state: undefined }), 'ZH_GATEWAY_CONFIG_INVALID', 'state'],
    [
      'a bad maxBodyBytes',
      () => ({ ...base(), maxBodyBytes: -1 }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'maxBodyBytes',
    ],
    ['no routes', () => ({ ...base(), routes: [] }), 'ZH_GATEWAY_CONFIG_INVALID', 'routes'],
    [
      'a bad delay',
      () => ({ ...base(), forward: { delaysMs: ['5s'] } }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'forward.delaysMs[0]',
    ],
    [
      'a retention of 0',
      () => ({ ...base(), forward: { retentionS: 0 } }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'forward.retentionS',
    ],
    [
      'a cap that is not a whole number',
      () => ({ ...base(), forward: { maxPending: 'many' } }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'forward.maxPending',
    ],
    [
      'an unknown forward field',
      () => ({ ...base(), forward: { retention: 60 } }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'forward.retention',
    ],
    [
      'an unknown route field (a typo must not drop a guard)',
      () => withRoute((r) => (r.alow = ['10.0.0.0/8'])),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].alow',
    ],
    [
      'a path without a slash',
      () => withRoute((r) => (r.path = 'github')),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].path',
    ],
    [
      'an unknown scheme',
      () => withRoute((r) => (r.scheme = 'githib')),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].scheme',
    ],
    [
      'no secrets',
      () => withRoute((r) => delete r.secrets),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].secrets',
    ],
    [
      'an unset secret variable',
      () => withRoute((r) => (r.secrets = [{ env: 'UNSET_VAR' }])),
      'ZH_GATEWAY_CONFIG_SOURCE_MISSING',
      'routes[0].secrets[0]',
    ],
    [
      'a secret with two sources',
      () => withRoute((r) => (r.secrets = [{ env: 'GH_SECRET', value: 'x' }])),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].secrets[0]',
    ],
    [
      'a missing secret file',
      () => withRoute((r) => (r.secrets = [{ file: 'none.txt' }])),
      'ZH_GATEWAY_CONFIG_SOURCE_MISSING',
      'routes[0].secrets[0].file',
    ],
    [
      'a bad CIDR',
      () => withRoute((r) => (r.allow = ['10.0.0.0/33'])),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].allow',
    ],
    [
      'a short token',
      () => withRoute((r) => (r.token = { value: 'short' })),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].token',
    ],
    [
      'no target',
      () => withRoute((r) => delete r.target),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].target',
    ],
    [
      'a bad service name',
      () => withRoute((r) => (r.target = { service: 'a b' })),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].target.service',
    ],
    [
      'a bad forwarded header',
      () => withRoute((r) => (r.forwardHeaders = ['x y'])),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].forwardHeaders[0]',
    ],
    [
      'options that are not a mapping',
      () => withRoute((r) => (r.options = ['topicArns'])),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].options',
    ],
    [
      'an option of an unsupported type',
      () => withRoute((r) => (r.options = { nested: { deeper: 1 } })),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].options.nested',
    ],
    [
      'a list option holding a number',
      () => withRoute((r) => (r.options = { topicArns: ['arn:aws:sns:x', 7] })),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].options.topicArns[1]',
    ],
    [
      'a null option',
      () => withRoute((r) => (r.options = { audience: null })),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].options.audience',
    ],
    [
      'an option secret from an unset variable',
      () => withRoute((r) => (r.options = { token: { env: 'UNSET_VAR' } })),
      'ZH_GATEWAY_CONFIG_SOURCE_MISSING',
      'routes[0].options.token',
    ],
    [
      'a url that is not https',
      () => withRoute((r) => (r.url = 'http://hooks.example.com')),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].url',
    ],
    [
      'a url with a query (the request brings its own)',
      () => withRoute((r) => (r.url = 'https://hooks.example.com/?a=1')),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].url',
    ],
    [
      'a url that is not a URL',
      () => withRoute((r) => (r.url = 'hooks.example.com')),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[0].url',
    ],
    [
      'a duplicate path',
      () => ({ ...base(), routes: [route(), route()] }),
      'ZH_GATEWAY_CONFIG_INVALID',
      'routes[1].path',
    ],
  ]
  it.each(cases)('refuses %s, naming the field', (_name, doc, code, field) => {
    const { code: got, detail } = fails(doc())
    expect(got).toBe(code)
    expect(detail.startsWith(field)).toBe(true)
  })

  it('passes a route url and scheme options through, typed', () => {
    const doc = withRoute((r) => {
      r.scheme = 'twilio'
      r.url = 'https://Hooks.Example.com:443/prefix/'
      r.options = {
        topicArns: ['arn:aws:sns:eu-west-1:1:a', 'arn:aws:sns:eu-west-1:1:b'],
        maxAgeSeconds: 300,
        handshake: false,
        header: 'X-Okta-Auth',
        token: { env: 'GH_SECRET' },
      }
    })
    const [r] = parseGatewayConfig(stringify(doc), ctx).routes
    // As written (the provider signs what it was given), without the trailing slash.
    expect(r?.url).toBe('https://Hooks.Example.com:443/prefix')
    expect(r?.options).toEqual({
      topicArns: ['arn:aws:sns:eu-west-1:1:a', 'arn:aws:sns:eu-west-1:1:b'],
      maxAgeSeconds: 300,
      handshake: false,
      header: 'X-Okta-Auth',
      token: 'from-the-env',
    })
    const [plain] = parseGatewayConfig(stringify(base()), ctx).routes
    expect([plain?.url, plain?.options]).toEqual([undefined, {}])
  })

  it('accepts every scheme the webhooks layer lists, as listSchemes() grows', () => {
    const names = listSchemes()
    expect(names.length).toBeGreaterThanOrEqual(13)
    for (const scheme of names) {
      const doc = withRoute((r) => (r.scheme = scheme))
      expect(parseGatewayConfig(stringify(doc), ctx).routes[0]?.scheme).toBe(scheme)
    }
  })

  it('lets a route whose provider hands its secret over in a handshake (Asana) omit secrets', () => {
    const asana = withRoute((r) => {
      r.scheme = 'asana'
      delete r.secrets
    })
    expect(parseGatewayConfig(stringify(asana), ctx).routes[0]?.secrets).toEqual([])
    const github = withRoute((r) => delete r.secrets)
    expect(fails(github).code).toBe('ZH_GATEWAY_CONFIG_INVALID')
  })

  it('never puts a secret value in an error', () => {
    const doc = withRoute((r) => (r.token = { env: 'GH_SECRET' })) // 12 characters: too short
    const { detail } = fails(doc)
    expect(detail).not.toContain(env.GH_SECRET)
  })
})
