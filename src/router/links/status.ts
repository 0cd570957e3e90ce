import type { Logger } from 'pino'
import { requestJson } from '../../sdk/controller-client.js'
import { controllerPool } from '../../sdk/controller-pool.js'
import type { IdentityFile } from '../../sdk/identity-file.js'

/** How often the status is compared with the last one sent, ms. */
const CHECK_MS = 1000
/** An unchanged status is still sent this often, so the controller knows it is current. */
const REFRESH_MS = 10_000
/** A kick (a link went up or down) is sent after this short pause, gathering others with it. */
const KICK_MS = 50
/**
 * Kicked reports are at least this far apart, ms: circuits opening and closing kick too (the
 * live view), and under churn each would otherwise be a new TLS request to the controller
 * right after the last one.
 */
const MIN_GAP_MS = 250

/**
 * Reports the router's status to the controller (`POST /v1/router/status`): its address, its
 * links with their RTT, its terminators per service and its circuit load, which the controller
 * computes the paths from. Sends when it changed (checked every second, or on a kick: within
 * 50 ms, and at most one kicked report every 250 ms), and at least every 10 s. Failures are retried on the next round: routing keeps working with
 * the last table meanwhile. Each report is made with the router's current certificate, to the
 * controller replica that answered last, or in turn to the others it knows when that one is
 * unreachable (one round: the next check is a second away).
 *
 * @example
 * const reporter = startStatusReporter(() => identity.current, { status: () => ({ address, links: {}, services: {}, load: 0 }), log })
 * reporter.kick() // a link went down: tell the controller now
 */
export function startStatusReporter(
  identity: () => IdentityFile,
  opts: { status: () => Record<string, unknown>; log: Logger },
): { kick(): void; close(): void } {
  let last = ''
  let sentAt = 0
  let busy = false
  let again = false
  let kickTimer: NodeJS.Timeout | undefined

  const kick = () => {
    if (kickTimer) return
    kickTimer = setTimeout(
      () => {
        kickTimer = undefined
        void send(false)
      },
      Math.max(KICK_MS, sentAt + MIN_GAP_MS - Date.now()),
    )
    kickTimer.unref()
  }

  const send = async (force: boolean) => {
    if (busy) return void (again = true)
    const body = opts.status()
    const text = JSON.stringify(body)
    if (!force && text === last && Date.now() - sentAt < REFRESH_MS) return
    busy = true
    try {
      const id = identity()
      const pool = controllerPool(id)
      const tls = { ca: id.ca, cert: id.certificate, key: id.key }
      await pool.run(
        async (url) => {
          const r = await requestJson(
            url,
            { mode: 'verified', network: id.network, ...tls },
            { method: 'POST', path: '/v1/router/status', body },
          )
          pool.learn(r.controllers)
        },
        { rounds: 1 },
      )
      last = text
      sentAt = Date.now()
    } catch (err) {
      opts.log.debug({ err: (err as Error).message }, 'status report failed; retrying')
    } finally {
      busy = false
      if (again) {
        again = false
        kick()
      }
    }
  }
  const timer = setInterval(() => void send(false), CHECK_MS)
  timer.unref()
  return {
    kick,
    close: () => {
      clearInterval(timer)
      clearTimeout(kickTimer)
    },
  }
}
