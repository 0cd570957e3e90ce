import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { publicKeyFromJwk } from '../controller/signing-key.js'
import { parseHostPort } from '../controller/layout.js'
import { ZhError } from '../errors.js'
import { createOpaqueCertificate } from '../pki/opaque.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { assertNotExpired } from '../sdk/renewal.js'
import { startControlClient } from './control.js'
import { createEdgeServer, defaultEdgeLimits, type EdgeLimits } from './edge.js'
import { createEdgeGate } from './knock-gate.js'
import { closeExpired } from './expiry.js'
import { RouterIdentity } from './identity.js'
import { liveReport } from './live.js'
import { createRouterMetrics, type RouterMetrics } from './metrics.js'
import { Registry, type Session } from './registry.js'
import { resetLegs, type RelayTap } from './relay.js'
import { startRenewal } from './renewal.js'
import type { Channel } from '../wire/index.js'
import { knockKeys } from '../wire/knock.js'
import { encodeOverlay, MAX_DRAINING_IDS } from '../wire/overlay.js'
import { applyChange, dropTerminator } from './revocation.js'
import { startSession } from './sessions.js'
import { startScavengePacing } from '../wire/young-gc.js'
import { openHostLeg, type RouteDeps } from './links/forward.js'
import { LinkManager } from './links/links.js'
import { startStatusReporter } from './links/status.js'
import { onTransit } from './links/transit.js'
import type { RoutingTable } from '../controller/routing/paths.js'

/** Options of a router. */
export interface RouterOptions {
  identity: IdentityFile
  /** host:port for endpoint connections (port 0: any). */
  listen: string
  /** host:port endpoints are told to use (default: the bound listen address). */
  advertise?: string
  /** host:port for a plain-HTTP Prometheus endpoint (keep it on loopback). */
  metricsListen?: string
  limits?: Partial<EdgeLimits>
  /** Sees every relayed chunk (byte counters, and tests proving routers are blind). */
  tap?: RelayTap
  /**
   * Take only connections that open with a valid, fresh, unseen knock (`router run --knock`):
   * everything else gets not one byte. Without it, a knock is taken but not required.
   */
  knock?: boolean
  /** Called with each renewed identity (new certificate and key): save it to its file. */
  onRenewed?: (identity: IdentityFile) => Promise<void> | void
  log: Logger
}

/** A running router. */
export interface RunningRouter {
  address: string
  port: number
  metricsPort?: number
  registry: Registry
  metrics: RouterMetrics
  links: LinkManager
  /** The router's own identity, as renewed so far. */
  identity: RouterIdentity
  /** The routing table the controller pushed last. */
  routes(): RoutingTable
  /** The status body the router reports to the controller now. */
  status(): Record<string, unknown>
  /** Resolves once the control channel to the controller is up for the first time. */
  controlReady: Promise<void>
  /** Renews the certificate now (it also happens by itself two thirds into its life). */
  renew(): Promise<void>
  /**
   * Resolves with the error that made the router stop by itself: ZH_CERT_EXPIRED when its
   * certificate expired before it could be renewed. The router is closed by then.
   */
  fatal: Promise<ZhError>
  close(): Promise<void>
}

/** How often expired terminators are swept, ms. */
const SWEEP_MS = 5_000
/** Longer than any grant lives (the controller's default is 15 min). */
const MAX_GRANT_AGE_MS = 24 * 3600_000
/** How often certificates are checked: peers' for expiry, ours for renewal. */
const CERT_SWEEP_MS = 1_000

/**
 * Starts a router: the mTLS edge for endpoints, the control channel to the controller, and the
 * relay of circuits between dialers and terminators.
 *
 * @example
 * const router = await startRouter({ identity: await loadIdentity('router.json'), listen: '0.0.0.0:4433', log })
 */
export async function startRouter(opts: RouterOptions): Promise<RunningRouter> {
  const { log } = opts
  if (opts.identity.kind !== 'router')
    throw new ZhError('ZH_CONFIG_INVALID', 'the identity file is not a router identity')
  assertNotExpired(opts.identity)
  // Relayed bytes arrive in buffers Node allocates: let them pay for the scavenges that free them.
  startScavengePacing()
  // Everything that presents our certificate reads it from here, so a renewal reaches it.
  const self = new RouterIdentity(opts.identity)
  const identity = opts.identity
  const current = () => self.current
  const routerId = self.routerId
  const bind = parseHostPort(opts.listen)
  if (!bind) throw new ZhError('ZH_CONFIG_INVALID', `--listen ${opts.listen}: expected HOST:PORT`)
  const registry = new Registry()
  const metrics = createRouterMetrics({
    name: identity.name,
    notAfter: () => self.certificate.notAfter.getTime(),
  })
  const revoked = new Set<string>()
  const check = {
    network: identity.network,
    routerId,
    grantKey: publicKeyFromJwk(identity.grantKey),
    isLost: registry.isLost.bind(registry),
  }
  const isRevoked = (fp: string) => revoked.has(fp)
  const table = { routes: {} as RoutingTable }
  // The status reporter starts once the edge listens; until then a link change has no one to tell.
  let kickStatus = (): void => undefined
  registry.onServicesChanged = () => kickStatus()
  registry.onCircuitsChanged = () => kickStatus()
  // The router at the other end of each link channel, for the live view's `via` and `from`.
  const linkPeers = new WeakMap<Channel, string>()
  const links: LinkManager = new LinkManager(current, routerId, {
    log,
    metrics,
    isRevoked,
    onCircuit: (link, pending) => void onTransit(link, pending, transitDeps),
    onChange: (peer, up, channel) => {
      if (up) linkPeers.set(channel, peer)
      // Circuits on a link that died end with a code saying so (before the controller reacts).
      if (!up) resetLinkCircuits(registry, channel)
      kickStatus()
    },
    onDraining: (channel) => tellDraining(registry, channel),
  })
  const route: RouteDeps = { registry, links, table, metrics, log }
  const transitDeps = { ...route, check, isRevoked, tap: opts.tap }
  const deps = {
    registry,
    check,
    metrics,
    log,
    tap: opts.tap,
    openHost: (
      claims: Parameters<typeof openHostLeg>[1],
      dialer: Parameters<typeof openHostLeg>[2],
    ) => openHostLeg(route, claims, dialer, 0),
  }
  const limits = { ...defaultEdgeLimits, ...opts.limits }
  const edge = createEdgeServer(self, {
    serving: await createOpaqueCertificate(),
    limits,
    isRevoked,
    onPeer: (peer) => startSession(peer, deps),
    routers: links,
    onRefused: (reason) => metrics.connectionsRefused.inc({ reason }),
    log,
  })
  // The listening socket: connections reach the edge through it, knocking first with --knock.
  const knockKeysNow = () => knockKeys(self.current.knock)
  if (opts.knock && knockKeysNow().length === 0)
    log.warn(
      '--knock: no knock key yet; every connection is refused until the controller sends one',
    )
  const gate = createEdgeGate(edge, {
    required: opts.knock ?? false,
    keys: knockKeysNow,
    timeoutMs: opts.knock ? limits.knockTimeoutMs : limits.handshakeTimeoutMs,
    maxConnections: limits.maxConnections,
    onRefused: (reason) => metrics.connectionsRefused.inc({ reason }),
  })
  await new Promise<void>((resolve, reject) => {
    gate.once('error', reject)
    gate.listen(bind.port, bind.host, () => resolve())
  })
  const port = (gate.address() as AddressInfo).port
  const advertised = opts.advertise ? parseHostPort(opts.advertise) : { host: bind.host, port }
  if (!advertised)
    throw new ZhError('ZH_CONFIG_INVALID', `--advertise ${opts.advertise}: expected HOST:PORT`)
  const hostText = advertised.host.includes(':') ? `[${advertised.host}]` : advertised.host
  const address = `${hostText}:${advertised.port || port}`

  let markReady!: () => void
  const controlReady = new Promise<void>((resolve) => (markReady = resolve))
  const status = () => ({
    address,
    links: links.status(),
    services: registry.serviceCounts(),
    load: registry.relays.size + registry.transits.size,
    ...liveReport(registry, (channel) => linkPeers.get(channel)),
  })
  const reporter = startStatusReporter(current, { status, log })
  kickStatus = () => reporter.kick()
  const control = startControlClient(current, {
    address: () => address,
    status,
    onLine: (line) => {
      if (line.type === 'routes') {
        table.routes = line.routes
        links.setPeers(line.peers)
      } else if (line.type === 'knock') {
        self.setKnock(line.keys)
      } else if (line.type === 'hello') {
        if (line.knock) self.setKnock(line.knock)
        for (const fp of line.revoked) revoked.add(fp)
        applyChange(
          { lost: [], lostRouterAccess: [], revoked: [] },
          { registry, revoked, routerId, metrics, log },
        )
      } else if (line.type === 'change') {
        applyChange(line, { registry, revoked, routerId, metrics, log })
        links.revoked(line.revoked.flatMap((r) => r.fingerprints))
      }
    },
    onState: (up) => {
      if (up) markReady()
      log.info({ up }, up ? 'control channel up' : 'control channel down')
    },
    log,
  })
  const sweep = setInterval(() => {
    for (const t of registry.expired()) dropTerminator(registry, t, 'ZH_GRANT_EXPIRED')
    registry.pruneLost(MAX_GRANT_AGE_MS)
    metrics.terminators.set(registry.terminators)
  }, SWEEP_MS)
  sweep.unref()

  // Open sessions keep the connection they have (endpoints move to new ones when they renew);
  // links are made again with the new certificate and the old ones drain.
  self.on('renewed', () => {
    links.renewed()
    control.reconnect()
    reporter.kick()
  })
  let fail!: (err: ZhError) => void
  const fatal = new Promise<ZhError>((resolve) => (fail = resolve))
  const renewal = startRenewal(self, {
    log,
    onRenewed: opts.onRenewed,
    onExpired: (err) => void close().finally(() => fail(err)),
  })
  const certSweep = setInterval(() => {
    closeExpired(registry, links)
    void renewal.tick()
  }, CERT_SWEEP_MS)
  certSweep.unref()

  let metricsServer: Server | undefined
  let metricsPort: number | undefined
  if (opts.metricsListen) {
    const m = parseHostPort(opts.metricsListen)
    if (!m)
      throw new ZhError('ZH_CONFIG_INVALID', `--metrics ${opts.metricsListen}: expected HOST:PORT`)
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') return res.writeHead(404).end()
      void metrics.registry
        .metrics()
        .then((text) =>
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        )
    })
    await new Promise<void>((resolve) => metricsServer!.listen(m.port, m.host, resolve))
    metricsPort = (metricsServer.address() as AddressInfo).port
  }
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweep)
      clearInterval(certSweep)
      renewal.close()
      reporter.close()
      links.close()
      control.close()
      for (const s of registry.sessions) s.channel.close('ZH_ROUTER_SHUTTING_DOWN')
      // The edge never listened: closing it only lets go of its renewal listener.
      edge.close(() => undefined)
      await new Promise<void>((resolve) => gate.close(() => resolve()))
      const m = metricsServer
      if (m) await new Promise<void>((resolve) => m.close(() => resolve()))
    })())
  const { serial, notAfter } = self.certificate
  log.info(
    {
      address,
      port,
      router: routerId,
      metricsPort,
      serial,
      notAfter: notAfter.toISOString(),
      knock: opts.knock ?? false,
    },
    'router listening',
  )
  return {
    address,
    port,
    metricsPort,
    registry,
    metrics,
    links,
    identity: self,
    routes: () => table.routes,
    status,
    controlReady,
    renew: () => renewal.tick(true),
    fatal,
    close,
  }
}

/**
 * A link is draining: tells each local endpoint which of its circuits run over it, so its HTTP
 * keep-alive stops reusing them and the link can close before its certificate expires: the
 * dialer of a circuit we forwarded over the link, the host of one that came in over it.
 */
function tellDraining(registry: Registry, channel: Channel): void {
  const bySession = new Map<Session, number[]>()
  const add = (session: Session, id: number) =>
    bySession.set(session, [...(bySession.get(session) ?? []), id])
  for (const r of registry.relays) if (r.via === channel) add(r.dialer, r.dialerLeg.id)
  for (const t of registry.transits)
    if (t.from === channel && t.terminator) add(t.terminator.session, t.outLeg.id)
  for (const [session, ids] of bySession) {
    for (let i = 0; i < ids.length && !session.channel.closed; i += MAX_DRAINING_IDS)
      session.channel.send(
        encodeOverlay({ t: 'draining', circuits: ids.slice(i, i + MAX_DRAINING_IDS) }),
      )
  }
}

/** Resets every circuit running over a link channel that closed, with ZH_ROUTER_LINK_DOWN. */
function resetLinkCircuits(registry: Registry, channel: Channel): void {
  for (const r of registry.relays)
    if (r.via === channel) resetLegs([r.dialerLeg, r.hostLeg], 'ZH_ROUTER_LINK_DOWN')
  for (const t of registry.transits)
    if (t.from === channel || t.via === channel)
      resetLegs([t.inLeg, t.outLeg], 'ZH_ROUTER_LINK_DOWN')
}
