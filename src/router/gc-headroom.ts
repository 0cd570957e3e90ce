/** MiB a router holds by default; see {@link reserveGcHeadroom}. */
export const GC_HEADROOM_MB = 12

const MiB = 1024 * 1024

/** Held for the life of the process; never read. */
let ballast: number[] | undefined

/**
 * Holds `mb` MiB of numbers on the JavaScript heap for the life of the process, so that V8
 * does not mark a busy router's heap again and again.
 *
 * V8 starts incremental marking "soon" once the room left under its old-generation limit is
 * smaller than the young generation (16 MiB once grown), and it sets that limit as a multiple
 * of the live heap. A router's live heap is small (about 13 MiB), which puts the room right at
 * that edge while it relays at full speed: in the bulk benchmark a third of the runs did 49 to
 * 227 mark-compacts each and tripled the router's CPU per MiB, with marking pauses in the tail
 * latency. 12 MiB more live heap lifts the limit clear of the edge (no mark-compact in 13 runs).
 * It is one array of doubles, which the marker never scans, so full collections cost no more.
 *
 * Call once, at the start of a process that is a router; later calls do nothing.
 *
 * @example
 * reserveGcHeadroom() // first thing in `zerohook router run`
 */
export function reserveGcHeadroom(mb = GC_HEADROOM_MB): void {
  if (ballast || !(mb > 0)) return
  ballast = new Array<number>(Math.ceil((mb * MiB) / 8)).fill(0.5)
}
