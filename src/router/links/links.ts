import tls from 'node:tls'
import type { Logger } from 'pino'
import { parseHostPort } from '../../controller/layout.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { dialRouter } from '../../sdk/router-dial.js'
import { awaitRouterProof } from '../../sdk/router-proof.js'
import type { Channel, PendingCircuit } from '../../wire/index.js'
import type { EdgeRouter } from '../edge.js'
import type { RouterMetrics } from '../metrics.js'
import { openLink, type Link } from './link.js'
import { encodeLink } from './messages.js'

export type { Link, LinkState } from './link.js'

const BACKOFF_MIN = 250
const BACKOFF_MAX = 10_000
const HANDSHAKE_MS = 10_000

interface Dialer {
  address: string
  attempt: number
  timer?: NodeJS.Timeout
  /** The connection being made, until its handshake is done. */
  connecting?: tls.TLSSocket
}

/**
 * The router's links to the other routers. For each pair exactly one side dials: the router
 * with the smaller id, with mutual TLS 1.3 and its router certificate, checking that the server
 * proves (inside the channel) it is that very router; the other side accepts the connection on
 * its edge (see edge.ts). A link
 * reconnects with backoff while the controller lists the peer, and measures its RTT.
 *
 * A new link to a peer that already has one replaces it without dropping a circuit: the old one
 * drains. That is how a renewed certificate reaches the links: the dialing side dials again with
 * it, and an accepting side that renewed asks its dialer to (a `redial` message), since only a
 * new connection proves the new certificate.
 *
 * @example
 * const links = new LinkManager(() => identity.current, routerId, { log, metrics, isRevoked, onCircuit, onChange })
 * links.setPeers([{ id: 'r2', address: '10.0.0.2:4433' }])
 */
export class LinkManager {
  /** The current link to each peer. */
  readonly links = new Map<string, Link>()
  /** Every open link, whatever its state. */
  private readonly all = new Set<Link>()
  private readonly peers = new Map<string, string>()
  private readonly dialers = new Map<string, Dialer>()
  private closed = false

  constructor(
    private readonly identity: () => IdentityFile,
    private readonly routerId: string,
    private readonly opts: {
      log: Logger
      metrics: RouterMetrics
      isRevoked: (fingerprint: string) => boolean
      onCircuit: (link: Link, pending: PendingCircuit) => void
      /** A link came up or went down (`closed` is its channel). */
      onChange: (peerId: string, up: boolean, channel: Channel) => void
      /** A link started draining: the endpoints of its circuits should move to new ones. */
      onDraining?: (channel: Channel) => void
    },
  ) {}

  /** True when `peerId` is a router the controller told us about. */
  knows(peerId: string): boolean {
    return this.peers.has(peerId)
  }

  /** The link new circuits to a peer take, if any. */
  get(peerId: string): Link | undefined {
    const link = this.links.get(peerId)
    return link && !link.channel.closed ? link : undefined
  }

  /** Every open link to a peer: the current one, one on standby, the draining ones. */
  linksTo(peerId: string): Link[] {
    return [...this.all].filter((l) => l.peerId === peerId && !l.channel.closed)
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
    for (const link of this.all) {
      if (!this.peers.has(link.peerId))
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
    for (const link of this.all)
      if (set.has(link.fingerprint)) link.channel.close('ZH_ROUTER_CERT_REVOKED')
  }

  /**
   * Closes links whose peer certificate expired: TLS checked it in the handshake only, and a
   * link must not outlive the certificate it was opened with.
   */
  closeExpired(now = Date.now()): void {
    for (const link of this.all) {
      if (link.notAfter <= now && !link.channel.closed)
        link.channel.close('ZH_CERT_EXPIRED', `the certificate of router ${link.peerId} expired`)
    }
  }

  /**
   * Our certificate was renewed: dial every peer we dial again with it, and ask every peer that
   * dials us to do the same. The links made with the old certificate drain.
   */
  renewed(): void {
    if (this.closed) return
    for (const id of [...this.dialers.keys()]) this.redial(id)
    for (const link of this.all) {
      if (link.role === 'acceptor' && link.state !== 'draining' && !link.channel.closed)
        link.channel.send(encodeLink({ t: 'redial' }))
    }
  }

  /**
   * A router connected to our edge with a verified, unrevoked router certificate: true when it
   * may link. Only a peer the controller lists, and one that is the dialing side of the pair,
   * becomes a link.
   */
  accepts(peer: EdgeRouter): boolean {
    return !this.closed && this.peers.has(peer.id) && peer.id < this.routerId
  }

  /**
   * Runs a link over a connection `accepts` let in. The edge proved us to the dialer with our
   * current certificate in this same turn of the event loop, so a renewal either came before
   * (and the proof has the new certificate) or comes after (and asks this link to redial too).
   */
  accept(socket: tls.TLSSocket, peer: EdgeRouter): void {
    this.up(socket, peer.id, peer, 'acceptor')
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
    for (const link of this.all) link.channel.close('ZH_ROUTER_SHUTTING_DOWN')
  }

  private stopDialer(id: string): void {
    const d = this.dialers.get(id)
    if (!d) return
    this.dialers.delete(id)
    clearTimeout(d.timer)
    d.connecting?.destroy()
  }

  /** Dials a peer now, whatever links it has (they drain once the new one is proven). */
  private redial(id: string): void {
    const d = this.dialers.get(id)
    if (!d || this.closed) return
    clearTimeout(d.timer)
    d.connecting?.destroy()
    d.connecting = undefined
    d.attempt = 0
    this.dial(id, d)
  }

  private retry(id: string, d: Dialer): void {
    if (this.closed || this.dialers.get(id) !== d) return
    clearTimeout(d.timer)
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
    // Read at every dial: a renewed certificate is used from the next handshake on.
    const identity = this.identity()
    const options: tls.ConnectionOptions = {
      cert: identity.certificate,
      key: identity.key,
      minVersion: 'TLSv1.3',
      // The peer serves a certificate that names nothing: it proves inside the channel that it
      // is exactly this router of our network (awaitRouterProof).
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    }
    const socket = dialRouter(hp, options, identity.knock)
    d.connecting = socket
    socket.setTimeout(HANDSHAKE_MS, () => socket.destroy(new Error('link handshake timed out')))
    const failed = (err: Error & { code?: string }) => {
      if (d.connecting !== socket) return // superseded by a newer dial
      d.connecting = undefined
      // A proof that does not hold is worth a warning: a wrong address, or an impostor. No proof
      // is also how a peer refuses us, as it does until the controller lists us to it.
      this.opts.log[err.code === 'ZH_ROUTER_PROOF_INVALID' ? 'warn' : 'debug'](
        { peer: id, code: err.code, err: err.message },
        'router link dial failed',
      )
      this.retry(id, d)
    }
    socket.once('error', failed)
    socket.once('secureConnect', () => {
      awaitRouterProof(socket, identity, id, HANDSHAKE_MS).then(
        (cert) => {
          socket.off('error', failed)
          if (d.connecting !== socket || this.closed) return void socket.destroy()
          d.connecting = undefined
          socket.setTimeout(0)
          if (this.opts.isRevoked(cert.fingerprint)) {
            socket.destroy()
            return this.retry(id, d)
          }
          d.attempt = 0
          const peer = { fingerprint: cert.fingerprint, notAfter: cert.notAfter.getTime() }
          const link = this.up(socket, id, peer, 'initiator')
          // Dial again only when no other link to the peer is left (a drained link just went).
          link.channel.once('close', () => {
            if (!d.connecting && !this.linksTo(id).some((l) => l.state !== 'draining'))
              this.retry(id, d)
          })
        },
        (err: Error) => {
          socket.destroy()
          failed(err)
        },
      )
    })
  }

  private up(
    socket: tls.TLSSocket,
    peerId: string,
    peer: { fingerprint: string; notAfter: number },
    role: 'initiator' | 'acceptor',
  ): Link {
    const { metrics, log } = this.opts
    const link = openLink(socket, { peerId, ...peer }, role, {
      log,
      onPong: (l, first) => {
        if (l.state === 'standby') this.promote(l)
        if (l.state === 'current') metrics.linkRtt.set({ peer: peerId }, l.rtt! / 1000)
        if (first) this.opts.onChange(peerId, true, l.channel)
      },
      onRedial: () => {
        // The peer renewed its certificate; a dial already under way shows it the new one.
        if (role === 'initiator' && !this.dialers.get(peerId)?.connecting) this.redial(peerId)
      },
    })
    const { channel } = link
    this.all.add(link)
    if (!this.get(peerId)) this.promote(link)
    channel.on('circuit', (pending) => this.opts.onCircuit(link, pending))
    channel.on('close', (err) => {
      this.all.delete(link)
      if (this.links.get(peerId) === link) {
        this.links.delete(peerId)
        metrics.linkRtt.remove({ peer: peerId })
        // A newer link still on standby is all there is now: it takes over unproven.
        const next = [...this.all]
          .reverse()
          .find((l) => l.peerId === peerId && l.state === 'standby')
        if (next && !next.channel.closed) this.promote(next)
      }
      metrics.links.set(this.liveCount())
      log.info({ peer: peerId, state: link.state, code: err?.code }, 'router link down')
      this.opts.onChange(peerId, false, channel)
    })
    log.info({ peer: peerId, role, state: link.state }, 'router link up')
    this.opts.onChange(peerId, true, channel)
    return link
  }

  /** Makes a link the one new circuits take; every other link to that peer drains. */
  private promote(link: Link): void {
    link.state = 'current'
    link.since = Date.now()
    this.links.set(link.peerId, link)
    this.opts.metrics.links.set(this.liveCount())
    for (const other of this.all) {
      if (other === link || other.peerId !== link.peerId || other.state === 'draining') continue
      if (other.channel.closed) continue
      other.state = 'draining'
      other.since = Date.now()
      this.opts.log.info(
        { peer: other.peerId, role: other.role, circuits: other.channel.circuits },
        'router link draining: replaced by a newer one',
      )
      this.opts.onDraining?.(other.channel)
    }
  }

  private liveCount(): number {
    return [...this.links.values()].filter((l) => !l.channel.closed).length
  }
}
