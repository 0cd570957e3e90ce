import { createHash, X509Certificate } from 'node:crypto'
import tls from 'node:tls'
import pino, { type Logger } from 'pino'
import type { ControllerSettings } from '../controller/context.js'
import { startTestController, type TestController } from '../controller/controller.test-util.js'
import { createRouter } from '../controller/ops/routers.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { createIdentity } from '../controller/ops/identities.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { ControllerClient } from '../sdk/controller-client.js'
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
  } = {},
): Promise<RouterBed> {
  const c = await startTestController({ network: 'bed', settings: opts.settings })
  const { router: record, enrollment } = await createRouter(c.ctx, { name: 'r1' })
  const identity = await enrollWithToken(enrollment.token)
  const router = await startRouter({
    identity,
    listen: '127.0.0.1:0',
    limits: opts.limits,
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

/** An endpoint's mTLS connection to the router, once the client side of the handshake is done. */
export function tlsLink(bed: RouterBed, identity: IdentityFile): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: bed.router.port,
      cert: identity.certificate,
      key: identity.key,
      ca: identity.ca,
      minVersion: 'TLSv1.3',
      checkServerIdentity: checkServerPrincipal({
        network: identity.network,
        kind: 'router',
        id: bed.routerId,
      }),
    })
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
  })
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

/** SHA-256 fingerprint of the certificate the other end of a TLS socket presented. */
export function peerFingerprint(socket: tls.TLSSocket): string {
  return createHash('sha256').update(socket.getPeerCertificate().raw).digest('hex')
}
