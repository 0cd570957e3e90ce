import type { Command } from 'commander'
import pino from 'pino'
import { logRedactions } from '../controller/run.js'
import { loadGatewayConfig } from '../gateway/config.js'
import { startGateway } from '../gateway/server.js'
import { connect } from '../sdk/context.js'
import { fileGrantCache } from '../sdk/grant-cache.js'
import { startScavengePacing } from '../wire/young-gc.js'
import { loadIdentity, saveIdentity } from '../sdk/identity-file.js'
import { untilSignal } from './signals.js'

const CONFIG_HELP = `
Configuration (YAML; relative paths are relative to the file):
  listen: 127.0.0.1:8443                 # port 0: any free port (logged)
  tls: { cert: cert.pem, key: key.pem }  # HTTPS only, TLS 1.2+; add ca: clients-ca.pem for mTLS
  state: ./gateway-state                 # SQLite outbox + replay store
  maxBodyBytes: 1048576                  # checked before any hashing
  forward: { timeoutMs: 8000, delaysMs: [0, 5000, 300000], maxAttempts: 8 }   # optional
  routes:
    - path: /github
      scheme: github                     # any of zerohook/webhooks listSchemes(): github, stripe, ...
      secrets: [ { env: GITHUB_WEBHOOK_SECRET } ]   # or { file: PATH } or { value: TEXT }
      allow: [ 140.82.112.0/20 ]         # optional CIDR allow-list (socket address)
      token: { env: GATEWAY_TOKEN }      # optional Authorization: Bearer (16+ characters)
      target: { service: jenkins-webhook, path: /github-webhook/ }
    - path: /twilio
      scheme: twilio
      secrets: [ { env: TWILIO_AUTH_TOKEN } ]
      url: https://hooks.example.com     # public URL the provider calls (Twilio, HubSpot, Square
                                         # sign it); the request's path and query are appended
      options: { }                       # the scheme's options, passed through (see the scheme)
      target: { service: phone-bot, path: /voice }
  admin: { listen: 127.0.0.1:0, token: { file: admin.token } }   # optional: loopback admin API
                                         # for \`zerohook console --gateway URL\` (32+ char token)

A verified webhook is stored, then forwarded over the overlay with the provider's headers and
X-Zerohook-Gateway-Verified / X-Zerohook-Gateway-Id. The caller gets the receiver's answer, or
202 { id } when the target is unreachable: it is retried with backoff, also after a restart.

Handshakes and URL checks (Slack url_verification, Zoom endpoint.url_validation, Twitch, Okta,
Dropbox, Asana...) are answered by the gateway, verified first when signed, and never forwarded;
GET is taken only for such a check. A secret a handshake hands over (Asana) is kept in
STATE/learned/<path>.secret on first use; a later handshake is refused until that file is removed.
`

interface RunOptions {
  identity: string
  config: string
}

/** `zerohook gateway run`: the public HTTPS ingress for providers that cannot run the SDK. */
export function gatewayCommands(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('Public HTTPS ingress: verify provider webhooks, forward them over the overlay')
  gateway
    .command('run')
    .description('Run the gateway until SIGINT or SIGTERM (queued webhooks survive a restart)')
    .requiredOption(
      '--identity <file>',
      "the gateway's identity file (may dial the target services)",
    )
    .requiredOption('--config <file>', 'gateway YAML: listen, tls, state, routes (see below)')
    .option('--json', 'logs are JSON lines already; accepted for uniformity')
    .addHelpText('after', CONFIG_HELP)
    .action(async (opts: RunOptions) => {
      // Configuration first: a bad file fails before anything connects or listens.
      const config = loadGatewayConfig(opts.config)
      const log = pino({ base: { component: 'gateway' }, redact: logRedactions })
      // A daemon that may carry bulk: keep the buffers its records churn from piling up.
      startScavengePacing()
      const zh = await connect(await loadIdentity(opts.identity), {
        log,
        // A renewed certificate must outlive this process: the next start reads the file.
        onRenewed: (renewed) => saveIdentity(opts.identity, renewed),
        grantCache: fileGrantCache(`${opts.identity}.grants`),
      })
      const dispatcher = zh.dispatcher()
      try {
        const running = await startGateway({ config, dispatcher, log })
        log.info(
          {
            address: running.address,
            port: running.port,
            ...(running.adminUrl ? { admin: running.adminUrl } : {}),
            routes: config.routes.map((r) => ({
              path: r.path,
              scheme: r.scheme,
              service: r.target.service,
            })),
          },
          'gateway listening',
        )
        await untilSignal()
        log.info('gateway stopping')
        await running.close()
      } finally {
        await dispatcher.close().catch(() => undefined)
        await zh.close()
      }
    })
}
