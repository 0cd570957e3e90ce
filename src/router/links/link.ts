import type tls from 'node:tls'
import type { Logger } from 'pino'
import { createChannel, type Channel } from '../../wire/index.js'
import { decodeLinkMessage, encodeLink } from './messages.js'

/**
 * Where a link is in its life. `standby`: up, but an older link to the same peer still takes
 * the new circuits until this one has proven itself both ways (its first PONG). `current`: new
 * circuits to the peer go here. `draining`: replaced by a newer link (a renewed certificate,
 * a peer that dialed again); it takes no new circuits and closes once its last one is done.
 */
export type LinkState = 'standby' | 'current' | 'draining'

/** A live link to another router of this network. */
export interface Link {
  peerId: string
  fingerprint: string
  /** When the peer's certificate expires, ms: the link is closed then (ZH_CERT_EXPIRED). */
  notAfter: number
  role: 'initiator' | 'acceptor'
  channel: Channel
  /** Smoothed round-trip time, ms (undefined until the first PONG). */
  rtt: number | undefined
  state: LinkState
  /** When it entered its state, ms. */
  since: number
}

/** How often a link is probed for its RTT (and a draining one checked for circuits), ms. */
const PING_MS = 1000
/**
 * A drained link stays open this long at least: the peer may have routed a circuit over it
 * just before it saw the new link, and that OPEN must not meet a closed channel.
 */
const DRAIN_GRACE_MS = 1000

/**
 * Runs one link over an authenticated TLS socket: a wire channel, an RTT probe every second
 * (the first at once, so a link on standby takes over as soon as it answers), answers to the
 * peer's probes, and the close of a draining link once its last circuit is done. Who the link
 * is for, and which link is current, is the LinkManager's business (see links.ts).
 *
 * @example
 * const link = openLink(socket, { peerId, fingerprint, notAfter }, 'acceptor', { log, onPong, onRedial })
 */
export function openLink(
  socket: tls.TLSSocket,
  peer: { peerId: string; fingerprint: string; notAfter: number },
  role: Link['role'],
  hooks: {
    log: Logger
    /** A probe was answered; `first` for the link's first answer. */
    onPong(link: Link, first: boolean): void
    /** The peer asks for a new link (it renewed its certificate). */
    onRedial(link: Link): void
  },
): Link {
  socket.setNoDelay(true)
  const channel = createChannel(socket, { role })
  const link: Link = { ...peer, role, channel, rtt: undefined, state: 'standby', since: Date.now() }
  const sent = new Map<number, number>()
  let n = 0
  const tick = () => {
    if (channel.closed) return
    if (link.state === 'draining' && channel.circuits === 0) {
      if (Date.now() - link.since < DRAIN_GRACE_MS) return
      hooks.log.info({ peer: peer.peerId, role }, 'router link drained')
      return channel.close()
    }
    n++
    sent.set(n, performance.now())
    if (sent.size > 10) sent.delete(n - 10)
    channel.send(encodeLink({ t: 'ping', n }))
  }
  const ping = setInterval(tick, PING_MS)
  ping.unref()
  channel.once('close', () => clearInterval(ping))
  channel.on('message', (bytes) => {
    const m = decodeLinkMessage(bytes)
    if (m?.t === 'ping') {
      if (!channel.closed) channel.send(encodeLink({ t: 'pong', n: m.n }))
    } else if (m?.t === 'pong') {
      const at = sent.get(m.n)
      if (at === undefined) return
      sent.delete(m.n)
      const sample = performance.now() - at
      const first = link.rtt === undefined
      link.rtt = first ? sample : 0.7 * link.rtt! + 0.3 * sample
      hooks.onPong(link, first)
    } else if (m?.t === 'redial') {
      hooks.onRedial(link)
    }
  })
  // After the caller has attached its own listeners.
  queueMicrotask(tick)
  return link
}
