import { EventEmitter } from 'node:events'
import { ZhError } from '../../errors.js'
import { createMemoryPair } from '../../wire/memory-pair.js'
import { e2eDial } from '../e2e/dial.js'
import { SERVICE, createTestNetwork } from '../e2e/e2e.test-util.js'
import { createE2eHost } from '../e2e/host.js'
import type { E2ePeer } from '../e2e/types.js'
import type { OverlayDial, OverlaySocket } from './socket.js'

/** An overlay without routers: each dial is a memory pair whose far end goes to `connections`. */
export interface FakeOverlay {
  dial: OverlayDial
  /** Emits the hoster's end of every dial as 'connection' (what `zh.listen` does). */
  connections: EventEmitter<{ connection: [socket: OverlaySocket] }>
  /** How many dials were made. */
  dials(): number
  close(): void
}

/**
 * With `e2e`, both ends run the real end-to-end layer (TLS sockets, grants checked) for the
 * identity `ci-job` dialing the service hosted by `jenkins`; without it, they are bare memory
 * ends carrying a made-up `peerIdentity` (the socket shim's path).
 */
export async function createFakeOverlay(opts: { e2e: boolean }): Promise<FakeOverlay> {
  const network = await createTestNetwork()
  const dialerId = await network.identity('ci-job')
  const hosterId = await network.identity('jenkins')
  const dialer = { identity: dialerId, grant: await network.grant(dialerId, 'dial') }
  const host = createE2eHost(
    { identity: hosterId, grant: await network.grant(hosterId, 'bind') },
    SERVICE,
  )
  const connections = new EventEmitter<{ connection: [socket: OverlaySocket] }>()
  const fakePeer = { identityId: 'ci-job', fingerprint: 'f'.repeat(64) } as E2ePeer
  let dials = 0
  return {
    connections,
    dials: () => dials,
    close: () => host.close(),
    async dial(service) {
      dials++
      if (service !== SERVICE.name) throw new ZhError('ZH_ROUTER_NO_TERMINATOR', service)
      const { a, b } = createMemoryPair()
      if (!opts.e2e) {
        connections.emit('connection', Object.assign(b, { peerIdentity: fakePeer }))
        return Object.assign(a, { peerIdentity: { ...fakePeer, identityId: 'jenkins' } })
      }
      const [accepted, dialed] = await Promise.all([
        host.accept(b),
        e2eDial(a, dialer, { serviceName: service }),
      ])
      connections.emit('connection', accepted.socket)
      return dialed.socket
    },
  }
}
