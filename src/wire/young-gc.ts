import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Bytes relayed between two scavenges once pacing is on: 4 MiB. */
export const SCAVENGE_PACE = 4 * 1024 * 1024

type Scavenge = () => void

let collector: Scavenge | undefined
let scavenge: Scavenge | undefined
let pace = SCAVENGE_PACE
let since = 0

/**
 * Makes the bytes this process relays pay for their own young-generation collections.
 *
 * Node's TLS hands every record it decrypts to JavaScript in a fresh ArrayBuffer (there is no
 * way to read a server-side TLS socket into a buffer of our own), and V8 counts those bytes
 * against the old generation's limit until a scavenge frees them. A router allocates almost
 * nothing else, so scavenges come only after V8's own trigger of 32 MiB of such buffers; with a
 * router's small, steady old generation (about 13 MiB, its limit some 15 MiB above) that is
 * past the margin at which V8 starts incremental marking, and the router ran one mark-compact
 * after another while it relayed, each finding nothing to free. A scavenge every 4 MiB relayed
 * frees those buffers while they are young, as they are: it costs a fraction of a millisecond
 * (little survives), where each of those mark-compacts cost tens.
 *
 * An endpoint is no different: its TLS reads and its record layer's ciphers each return fresh
 * ArrayBuffers (Node's cipher API writes into none of ours), and once an app's young generation
 * has grown to its working size, scavenges come too rarely for them. A bulk circuit in such a
 * process spent a fifth of its time in mark-compacts and moved half as much; the end-to-end
 * socket counts what it seals and opens here, so the same pacing cures it.
 *
 * Call once in a router process, and in an endpoint that moves bulk data (zerohook's tunnels and
 * gateway do; an app embedding the SDK may); it changes nothing for a process that never calls
 * it. Uses V8's `gc` extension, exposed to one throwaway context only.
 *
 * @example
 * startScavengePacing() // in startRouter
 */
export function startScavengePacing(bytes = SCAVENGE_PACE): boolean {
  pace = bytes
  collector ??= youngCollector()
  scavenge = collector
  return scavenge !== undefined
}

/** Turns the pacing off again (the benchmarks compare both). */
export function stopScavengePacing(): void {
  scavenge = undefined
  since = 0
}

/** Counts `bytes` relayed, sealed or opened; past the pace, scavenges (when pacing is on). */
export function relayedBytes(bytes: number): void {
  if (!scavenge) return
  since += bytes
  if (since < pace) return
  since = 0
  scavenge()
}

/** V8's young-generation collection, or undefined where the extension is not available. */
function youngCollector(): Scavenge | undefined {
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as unknown
    if (typeof gc !== 'function') return undefined
    const collect = gc as (options: { type: 'minor' }) => void
    return () => collect({ type: 'minor' })
  } catch {
    return undefined
  } finally {
    // Contexts made from now on (by anyone) do not get `gc`.
    setFlagsFromString('--no-expose-gc')
  }
}
