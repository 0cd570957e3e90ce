import { createHash } from 'node:crypto'
import tls from 'node:tls'
import type { Logger } from 'pino'
import { parseHostPort } from '../../controller/layout.js'
import { checkServerPrincipal } from '../../pki/verify.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { createChannel, type Channel, type PendingCircuit } from '../../wire/index.js'
import type { RouterMetrics } from '../metrics.js'
import { decodeLinkMessage, encodeLink } from './messages.js'

/** A live link to another router of this network. */
export interface Link {
  peerId: string
  fingerprint: string
  channel: Channel
  /** Smoothed round-trip time, ms (undefined until the first PONG). */
  rtt: number | undefined
}

/** How often a link is probed for its RTT, ms. */
const PING_MS = 1000
const BACKOFF_MIN = 250
const BACKOFF_MAX = 10_000
const HANDSHAKE_MS = 10_000

interface Dialer {
  address: string
  attempt: number
  timer?: NodeJS.Timeout
  socket?: tls.TLSSocket
}

/**
 * The router's links to the other routers. For each pair exactly one side dials: the router
 * with the smaller id, with mutual TLS 1.3 and its router certificate, checking the server names
 * that very router; the other side accepts the connection on its edge (see edge.ts). A link
 * reconnects with backoff while the controller lists the peer, and measures its RTT.
 *
 * @example
 * const links = new LinkManager(identity, routerId, { log, metrics, onCircuit, onChange })
 * links.setPeers([{ id: 'r2', address: '10.0.0.2:4433' }])
 */
export class LinkManager {
  readonly links = new Map<string, Link>()
  private readonly peers = new Map<string, string>()
  private readonly dialers = new Map<string, Dialer>()
  private closed = false

  constructor(
    private readonly identity: IdentityFile,
    private readonly routerId: string,
    private readonly opts: {
      log: Logger
      metrics: RouterMetrics
      isRevoked: (fingerprint: string) => boolean
      onCircuit: (link: Link, pending: PendingCircuit) => void
      /** A link came up or went down (`closed` is its channel). */
      onChange: (peerId: string, up: boolean, channel: Channel) => void
    },
  ) {}

  /** True when `peerId` is a router the controller told us about. */
  knows(peerId: string): boolean {
    return this.peers.has(peerId)
  }

  /** The live link to a peer, if any. */
  get(peerId: string): Link | undefined {
    const link = this.links.get(peerId)
    return link && !link.channel.closed ? link : undefined
  }

  /** The controller's current list of live routers: dial the ones we should, drop the gone. */
  setPeers(peers: readonly { id: string; address: string }[]): void {
    if (this.closed) return
    this.peers.clear()
    for (const p of peers) if (p.id !== this.routerId) this.peers.set(p.id, p.address)
    for (const [id, d] of this.dialers) {
      if (this.peers.get(id) === d.address) continue
      this.stopDialer(id)
    }
    for (const [id, link] of this.links) {
      if (!this.peers.has(id))
        link.channel.close('ZH_ROUTER_LINK_DOWN', 'the peer left the network')
    }
    for (const [id, address] of this.peers) {
      if (this.routerId < id && !this.dialers.has(id)) {
        const d: Dialer = { address, attempt: 0 }
        this.dialers.set(id, d)
        this.dial(id, d)
      }
    }
  }

  /** Closes links whose peer certificate was revoked. */
  revoked(fingerprints: Iterable<string>): void {
    const set = new Set(fingerprints)
    for (const link of this.links.values())
      if (set.has(link.fingerprint)) link.channel.close('ZH_ROUTER_CERT_REVOKED')
  }

  /**
   * A router connected to our edge with a verified, unrevoked router certificate. Only a peer
   * the controller lists, and one that is the dialing side of the pair, becomes a link.
   */
  accept(socket: tls.TLSSocket, peerId: string, fingerprint: string): boolean {
    if (this.closed || !this.peers.has(peerId) || !(peerId < this.routerId)) return false
    this.up(socket, peerId, fingerprint, 'acceptor')
    return true
  }

  /** Live links as the status reports them: peer → RTT ms (0.1 ms resolution). */
  status(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [id, link] of this.links) {
      if (!link.channel.closed && link.rtt !== undefined)
        out[id] = Math.max(0.1, Math.round(link.rtt * 10) / 10)
    }
    return out
  }

  /** Stops dialing and closes every link. */
  close(): void {
    this.closed = true
    for (const id of [...this.dialers.keys()]) this.stopDialer(id)
    for (const link of this.links.values()) link.channel.close('ZH_ROUTER_SHUTTING_DOWN')
  }

  private stopDialer(id: string): void {
    const d = this.dialers.get(id)
    if (!d) return
    this.dialers.delete(id)
    clearTimeout(d.timer)
    d.socket?.destroy()
  }

  private retry(id: string, d: Dialer): void {
    if (this.closed || this.dialers.get(id) !== d) return
    const delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** d.attempt) * (0.5 + Math.random() / 2)
    d.attempt++
    d.timer = setTimeout(() => this.dial(id, d), delay)
    d.timer.unref()
  }

  private dial(id: string, d: Dialer): void {
    if (this.closed || this.dialers.get(id) !== d) return
    const hp = parseHostPort(d.address)
    if (!hp) {
      this.opts.log.warn({ peer: id, address: d.address }, 'router link: bad peer address')
      return
    }
    const { identity } = this
    const socket = tls.connect({
      host: hp.host,
      port: hp.port,
      cert: identity.certificate,
      key: identity.key,
      ca: identity.ca,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      // Our own principal check: the server must be exactly this router of our network.
      checkServerIdentity: checkServerPrincipal({
        network: identity.network,
        kind: 'router',
        id,
      }),
    })
    d.socket = socket
    socket.setTimeout(HANDSHAKE_MS, () => socket.destroy(new Error('link handshake timed out')))
    const failed = (err: Error) => {
      this.opts.log.debug({ peer: id, err: err.message }, 'router link dial failed')
      this.retry(id, d)
    }
    socket.once('error', failed)
    socket.once('secureConnect', () => {
      socket.off('error', failed)
      socket.setTimeout(0)
      const raw = socket.getPeerCertificate().raw
      const fingerprint = createHash('sha256').update(raw).digest('hex')
      if (this.opts.isRevoked(fingerprint)) {
        socket.destroy()
        return this.retry(id, d)
      }
      d.attempt = 0
      const link = this.up(socket, id, fingerprint, 'initiator')
      link.channel.once('close', () => this.retry(id, d))
    })
  }

  private up(
    socket: tls.TLSSocket,
    peerId: string,
    fingerprint: string,
    role: 'initiator' | 'acceptor',
  ): Link {
    socket.setNoDelay(true)
    const channel = createChannel(socket, { role })
    const link: Link = { peerId, fingerprint, channel, rtt: undefined }
    // A peer that restarted dials again before we noticed: the new link replaces the old.
    this.links.get(peerId)?.channel.close('ZH_ROUTER_LINK_DOWN', 'replaced by a new link')
    this.links.set(peerId, link)
    const { metrics, log } = this.opts
    metrics.links.set(this.liveCount())
    const sent = new Map<number, number>()
    let n = 0
    const ping = setInterval(() => {
      if (channel.closed) return
      n++
      sent.set(n, performance.now())
      if (sent.size > 10) sent.delete(n - 10)
      channel.send(encodeLink({ t: 'ping', n }))
    }, PING_MS)
    ping.unref()
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
        metrics.linkRtt.set({ peer: peerId }, link.rtt / 1000)
        if (first) this.opts.onChange(peerId, true, channel)
      }
    })
    channel.on('circuit', (pending) => this.opts.onCircuit(link, pending))
    channel.on('close', (err) => {
      clearInterval(ping)
      if (this.links.get(peerId) === link) {
        this.links.delete(peerId)
        metrics.linkRtt.remove({ peer: peerId })
      }
      metrics.links.set(this.liveCount())
      log.info({ peer: peerId, code: err?.code }, 'router link down')
      this.opts.onChange(peerId, false, channel)
    })
    log.info({ peer: peerId, role }, 'router link up')
    this.opts.onChange(peerId, true, channel)
    return link
  }

  private liveCount(): number {
    return [...this.links.values()].filter((l) => !l.channel.closed).length
  }
}
