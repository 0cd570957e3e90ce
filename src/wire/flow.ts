/** Default receive window per circuit: 256 KiB. */
export const DEFAULT_WINDOW = 256 * 1024

/** Smallest window a channel accepts as an option. */
export const MIN_WINDOW = 1024
/** Largest window a channel accepts as an option (credit must fit a u32). */
export const MAX_WINDOW = 2 ** 30

/**
 * The receiving half of a circuit's credit-based flow control.
 *
 * The peer may send only what we granted (`allowance`). Credit flows back as the *application*
 * consumes bytes, never on arrival, and in batches of half a window, so a reader that stops
 * stops its sender after one window while the bytes held for it never exceed that window.
 * Invariant: allowance + bytes held unread + consumed-but-not-yet-credited = size.
 *
 * @example
 * const w = new ReceiveWindow(65536)
 * w.receive(1000) // true: within the grant
 * w.consumed(40000) // 0 until half the window was read, then the credit to send
 */
export class ReceiveWindow {
  /** Bytes the peer may still send. */
  allowance: number
  private consumedTotal = 0
  private uncredited = 0
  private readonly threshold: number

  constructor(readonly size: number) {
    this.allowance = size
    this.threshold = Math.max(1, Math.floor(size / 2))
  }

  /** The initial grant, sent right after OPEN or ACCEPT. */
  get initialCredit(): number {
    return this.size
  }

  /** Accounts `bytes` of arriving DATA; false when they exceed the grant (a protocol violation). */
  receive(bytes: number): boolean {
    if (bytes > this.allowance) return false
    this.allowance -= bytes
    return true
  }

  /**
   * Records that the application has now consumed `total` bytes in all; returns the credit to
   * send the peer now, or 0 while less than half a window awaits crediting.
   */
  consumed(total: number): number {
    const delta = total - this.consumedTotal
    if (delta <= 0) return 0
    this.consumedTotal = total
    this.uncredited += delta
    if (this.uncredited < this.threshold) return 0
    const grant = this.uncredited
    this.uncredited = 0
    this.allowance += grant
    return grant
  }
}

/** Largest credit a sender may accumulate (u32): more means the peer granted beyond reason. */
export const MAX_CREDIT = 0xffffffff
