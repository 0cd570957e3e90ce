/** Default: PING after 10 s without a frame from the peer. */
export const DEFAULT_KEEPALIVE_MS = 10_000
/** Default: close 20 s after a PING that nothing followed. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000

/** What the keepalive watches and does. */
export interface KeepaliveOptions {
  /** PING after this long without anything received; 0 disables keepalive. */
  intervalMs: number
  /** Give up this long after a PING that nothing (PONG or any frame) followed. */
  timeoutMs: number
  /** A counter that grows whenever anything arrives from the peer. */
  received(): number
  ping(): void
  timedOut(): void
}

/**
 * Starts the keepalive of one channel; returns its stop function. The timer is unref'd and
 * polls at half the smaller period, so the hot receive path only bumps a counter.
 *
 * @example
 * const stop = startKeepalive({ intervalMs: 10_000, timeoutMs: 20_000, received: () => n, ping, timedOut })
 */
export function startKeepalive(options: KeepaliveOptions): () => void {
  const { intervalMs, timeoutMs } = options
  if (intervalMs <= 0) return () => {}
  let seen = options.received()
  let lastChange = Date.now()
  let pingSentAt = 0
  const tick = Math.max(5, Math.floor(Math.min(intervalMs, timeoutMs) / 2))
  const timer = setInterval(() => {
    const now = Date.now()
    const count = options.received()
    if (count !== seen) {
      seen = count
      lastChange = now
      pingSentAt = 0
    }
    if (pingSentAt > 0) {
      if (now - pingSentAt >= timeoutMs) {
        clearInterval(timer)
        options.timedOut()
      }
    } else if (now - lastChange >= intervalMs) {
      pingSentAt = now
      options.ping()
    }
  }, tick).unref()
  return () => clearInterval(timer)
}
