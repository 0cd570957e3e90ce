import { ZhError } from '../errors.js'
import type { ChannelRole } from './circuit-ids.js'
import { DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW } from './flow.js'
import { DEFAULT_KEEPALIVE_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS } from './keepalive.js'

/** Default most circuits per channel. */
export const DEFAULT_MAX_CIRCUITS = 10_000

/** Options of `createChannel`. */
export interface ChannelOptions {
  /** `initiator` (the end that connected) opens odd circuit ids, `acceptor` even ones. */
  role: ChannelRole
  /** Receive window per circuit in bytes (default 256 KiB, 1 KiB to 1 GiB). */
  window?: number
  /** Most circuits at once, both directions together (default 10,000). */
  maxCircuits?: number
  /** PING after this long without a frame from the peer (default 10 s; 0 disables). */
  keepaliveMs?: number
  /** Close with ZH_WIRE_KEEPALIVE_TIMEOUT this long after an unanswered PING (default 20 s). */
  keepaliveTimeoutMs?: number
}

/** Fills in defaults; throws ZH_WIRE_ARGUMENT_INVALID naming the first bad option. */
export function channelOptions(o: ChannelOptions): Required<ChannelOptions> {
  const out = {
    role: o.role,
    window: o.window ?? DEFAULT_WINDOW,
    maxCircuits: o.maxCircuits ?? DEFAULT_MAX_CIRCUITS,
    keepaliveMs: o.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveTimeoutMs: o.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
  }
  const bad = (what: string): never => {
    throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', what)
  }
  if (out.role !== 'initiator' && out.role !== 'acceptor') bad('role must be initiator or acceptor')
  if (!Number.isInteger(out.window) || out.window < MIN_WINDOW || out.window > MAX_WINDOW) {
    bad(`window must be an integer from ${MIN_WINDOW} to ${MAX_WINDOW}`)
  }
  if (!Number.isInteger(out.maxCircuits) || out.maxCircuits < 1) bad('maxCircuits must be ≥ 1')
  if (!(out.keepaliveMs >= 0)) bad('keepaliveMs must be ≥ 0')
  if (!(out.keepaliveTimeoutMs > 0)) bad('keepaliveTimeoutMs must be > 0')
  return out
}
