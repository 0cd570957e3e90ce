import { ZhError, isZhError } from '../errors.js'
import type { Circuit } from '../wire/index.js'
import { relayedBytes } from '../wire/young-gc.js'

/** How long one leg may stay open after the other closed, ms. */
const HALF_OPEN_MS = 60_000

/** Called with every chunk relayed, for byte counters and the test capture hook. */
export type RelayTap = (direction: 'dialer-to-host' | 'host-to-dialer', chunk: Buffer) => void

/**
 * Joins two circuit legs. Each direction is spliced (see `Circuit.splice`): DATA goes from one
 * leg's frames to the other's without the stream machinery, and credit goes back only as bytes
 * leave, so a leg whose reader is slow stops its sender and this router never buffers more than
 * the two windows. A half-close crosses as a half-close once what came before it has gone out;
 * an error or reset of one leg resets the other with the same code. `onClosed` runs once both
 * legs are closed.
 */
export function joinLegs(a: Circuit, b: Circuit, tap: RelayTap, onClosed: () => void): void {
  let open = 2
  const fail = (other: Circuit) => (err: Error) => {
    if (other.destroyed) return
    const code = isZhError(err) ? err.code : 'ZH_WIRE_CIRCUIT_RESET'
    other.destroy(code === 'ZH_WIRE_CIRCUIT_CLOSED' ? undefined : new ZhError(code))
  }
  // A leg that closed without an error may not have seen its peer's FIN (its channel went away):
  // end the other leg after it flushes, and do not let a peer that never finishes hold it for
  // ever. What the other leg still receives has nowhere to go and is dropped (and credited), so
  // that its peer's FIN ends it instead of the timer.
  let halfOpenTimer: NodeJS.Timeout | undefined
  const closed = (other: Circuit) => () => {
    open--
    if (open === 0) {
      clearTimeout(halfOpenTimer)
      return onClosed()
    }
    other.endRelayed()
    halfOpenTimer = setTimeout(() => other.destroy(), HALF_OPEN_MS)
    halfOpenTimer.unref()
  }
  a.splice(b, (chunk) => {
    relayedBytes(chunk.length)
    tap('dialer-to-host', chunk)
  })
  b.splice(a, (chunk) => {
    relayedBytes(chunk.length)
    tap('host-to-dialer', chunk)
  })
  a.once('end', () => b.endRelayed())
  b.once('end', () => a.endRelayed())
  a.on('error', fail(b))
  b.on('error', fail(a))
  a.once('close', closed(b))
  b.once('close', closed(a))
}

/** Closes a relay's legs with a code both endpoints see. */
export function resetLegs(
  legs: readonly Circuit[],
  code: Parameters<Circuit['reset']>[0],
  message?: string,
): void {
  for (const leg of legs) if (!leg.destroyed) leg.reset(code, message)
}
