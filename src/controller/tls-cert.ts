import { inspectCertificate } from '../pki/inspect.js'
import type { CertifiedKey } from '../pki/ca.js'
import { writeSecretFile } from '../pki/files.js'
import { issueKeyAndCertificate, type IssuedCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import { renewalDue } from '../pki/validity.js'
import type { ControllerContext } from './context.js'
import { controllerPaths, parseHostPort, type ControllerConfig } from './layout.js'
import { recordCertificate, recordRenewal } from './model/certificates.js'

/** The controller's TLS certificate and key, as issued. */
export type ControllerTls = IssuedCertificate & { keyPem: string }

/**
 * Issues the controller's own TLS certificate: the controller principal URI (what every client
 * checks), plus DNS names and IP addresses of the listen and advertised hosts and loopback.
 */
export async function issueControllerTls(
  ca: CertifiedKey,
  config: Pick<ControllerConfig, 'network' | 'listen' | 'advertise' | 'keyType'>,
  days: number,
): Promise<ControllerTls> {
  const bind = parseHostPort(config.listen)
  const advertised = parseHostPort(config.advertise ?? config.listen)
  const hosts = [
    ...new Set(['localhost', '127.0.0.1', '::1', advertised?.host, bind?.host]),
  ].filter((h): h is string => h !== undefined)
  const isIp = (h: string) => /^[0-9.]+$/.test(h) || h.includes(':')
  return issueKeyAndCertificate({
    ca,
    keyType: config.keyType,
    commonName: 'controller',
    uri: principalUri(config.network, 'controller', 'controller'),
    dnsNames: hosts.filter((h) => !isIp(h)),
    ipAddresses: hosts.filter((h) => isIp(h) && h !== '0.0.0.0' && h !== '::'),
    days,
  })
}

/** Writes the controller's TLS certificate and key into its directory (key 0600). */
export async function saveControllerTls(dir: string, tls: ControllerTls): Promise<void> {
  const paths = controllerPaths(dir)
  await writeSecretFile(paths.tlsKey, tls.keyPem)
  await writeSecretFile(paths.tlsCert, tls.certPem)
}

/** Longest a timer may wait (Node's limit is about 24.8 days); a later renewal re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** After a failed renewal, try again this soon (ms), at most. */
const RETRY_MS = 60_000

/**
 * Renews the controller's TLS certificate two thirds into its life, for as long as the
 * controller runs: a new key and certificate from its own CA, saved to its directory, recorded,
 * and swapped into the listening server (`apply`) without a restart. Clients trust the
 * controller by its CA and principal URI, so nothing else changes; open connections keep going.
 *
 * @example
 * const stop = scheduleTlsRenewal(ctx, { dir, config, certPem }, (tls) => server.setSecureContext(...))
 */
export function scheduleTlsRenewal(
  ctx: ControllerContext,
  opts: { dir: string; config: ControllerConfig; certPem: string },
  apply: (tls: ControllerTls) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let current = inspectCertificate(opts.certPem)
  const arm = (delay: number) => {
    if (stopped) return
    timer = setTimeout(() => void run(), Math.min(Math.max(0, delay), MAX_TIMER_MS))
    timer.unref()
  }
  const due = () => renewalDue(current.notBefore.getTime(), current.notAfter.getTime())
  const run = async () => {
    if (Date.now() < due() - 1_000) return arm(due() - Date.now())
    try {
      const tls = await issueControllerTls(
        ctx.ca,
        opts.config,
        ctx.settings.controllerCertTtl / 86_400,
      )
      await saveControllerTls(opts.dir, tls)
      await ctx.db.transaction(async (tx) => {
        await recordCertificate(tx, {
          ...tls,
          principalId: 'controller',
          principalKind: 'controller',
        })
        await recordRenewal(tx, 'controller')
      })
      apply(tls)
      current = inspectCertificate(tls.certPem)
      ctx.log.info(
        { serial: tls.serial, notAfter: tls.notAfter.toISOString() },
        'controller certificate renewed',
      )
      arm(due() - Date.now())
    } catch (err) {
      const left = current.notAfter.getTime() - Date.now()
      ctx.log.error(
        { err: (err as Error).message, expiresInMs: left },
        'controller certificate renewal failed; retrying',
      )
      arm(Math.min(RETRY_MS, Math.max(1_000, left / 10)))
    }
  }
  arm(due() - Date.now())
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
