import { createHash, X509Certificate } from 'node:crypto'
import tls from 'node:tls'
import pino, { type Logger } from 'pino'
import type { ControllerSettings } from '../controller/context.js'
import { startTestController, type TestController } from '../controller/controller.test-util.js'
import { createRouter } from '../controller/ops/routers.js'
import type { VerifiedCertificate } from '../pki/verify.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { createIdentity } from '../controller/ops/identities.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { ControllerClient } from '../sdk/controller-client.js'
import { dialRouter } from '../sdk/router-dial.js'
import { awaitRouterProof } from '../sdk/router-proof.js'
import type { GrantsResponse } from '../controller/ops/grants.js'
import { createChannel, type Channel } from '../wire/index.js'
import type { EdgeLimits } from './edge.js'
import { startRouter, type RunningRouter } from './router.js'

/** A controller and a router in this process, on loopback ports picked by the OS. */
export interface RouterBed {
  c: TestController
  router: RunningRouter
  routerId: string
  /** Creates and enrolls an endpoint identity. */
  endpoint(name: string, attributes: string[]): Promise<IdentityFile>
  stop(): Promise<void>
}

/**
 * Starts the bed; the router's control channel is up when it resolves. `settings` are the
 * controller's (a short `certTtl` runs the router through several certificate lifetimes).
 */
export async function startRouterBed(
  opts: {
    limits?: Partial<EdgeLimits>
    settings?: Partial<ControllerSettings>
    log?: Logger
    onRenewed?: (identity: IdentityFile) => void
    /** Run the router with `--knock`. */
    knock?: boolean
  } = {},
): Promise<RouterBed> {
  const c = await startTestController({ network: 'bed', settings: opts.settings })
  const { router: record, enrollment } = await createRouter(c.ctx, { name: 'r1' })
  const identity = await enrollWithToken(enrollment.token)
  const router = await startRouter({
    identity,
    listen: '127.0.0.1:0',
    limits: opts.limits,
    knock: opts.knock,
    onRenewed: opts.onRenewed,
    log: opts.log ?? pino({ level: 'silent' }),
  })
  await router.controlReady
  return {
    c,
    router,
    routerId: record.id,
    endpoint: async (name, attributes) =>
      enrollWithToken((await createIdentity(c.ctx, { name, attributes })).enrollment.token),
    stop: async () => {
      await router.close()
      await c.stop()
    },
  }
}

/** The router certificate each connection of `routerConnect` was proved with. */
const proved = new WeakMap<tls.TLSSocket, VerifiedCertificate>()

/**
 * A mutual TLS connection to a router's edge as `identity` (knocking first with `opts.knock`),
 * once the router proved it is router `routerId` of the network. It flows once a reader (a channel, a probe) listens.
 */
export function routerConnect(
  port: number,
  identity: IdentityFile,
  routerId: string,
  opts: { knock?: readonly string[] } = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const options = {
      cert: identity.certificate,
      key: identity.key,
      minVersion: 'TLSv1.3' as const,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    }
    const socket = dialRouter({ host: '127.0.0.1', port }, options, opts.knock)
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      awaitRouterProof(socket, identity, routerId).then(
        (cert) => {
          socket.off('error', reject)
          proved.set(socket, cert)
          resolve(socket)
        },
        (err: Error) => {
          socket.destroy()
          reject(err)
        },
      )
    })
  })
}

/** An endpoint's connection to the bed's router, once the router proved who it is. */
export function tlsLink(bed: RouterBed, identity: IdentityFile): Promise<tls.TLSSocket> {
  // Knocking first, as the SDK does with the keys it has (a router without --knock takes it).
  return routerConnect(bed.router.port, identity, bed.routerId, { knock: identity.knock })
}

/** An endpoint's raw wire channel to the router (no SDK), for probing the router itself. */
export async function rawLink(bed: RouterBed, identity: IdentityFile): Promise<Channel> {
  return createChannel(await tlsLink(bed, identity), { role: 'initiator' })
}

/** Fetches an identity's grants over mTLS, as the SDK does. */
export function grantsOf(identity: IdentityFile): Promise<GrantsResponse> {
  return new ControllerClient(identity).call<GrantsResponse>('GET', '/v1/current-identity/grants')
}

/** SHA-256 fingerprint of an identity's certificate. */
export function certFingerprint(identity: IdentityFile): string {
  return createHash('sha256').update(new X509Certificate(identity.certificate).raw).digest('hex')
}

/** A pino logger that keeps every line, parsed, for assertions on what was logged. */
export function capturingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { log, lines }
}

/** SHA-256 fingerprint of the router certificate the router proved on a `routerConnect` socket. */
export function routerFingerprint(socket: tls.TLSSocket): string {
  const cert = proved.get(socket)
  if (!cert) throw new Error('not a connection made with routerConnect')
  return cert.fingerprint
}
