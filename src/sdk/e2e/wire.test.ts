import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChannel, createMemoryPair, type Channel, type Circuit } from '../../wire/index.js'
import { e2eDial } from './dial.js'
import {
  OTHER_SERVICE,
  SERVICE,
  codeOf,
  createTestNetwork,
  readAll,
  type TestNetwork,
} from './e2e.test-util.js'
import { createE2eHost, type E2eHost } from './host.js'
import type { E2eConnection, E2eLocal } from './types.js'

/** The end-to-end layer over real zerohook circuits (one multiplexed channel, no router). */
describe('end-to-end over wire circuits', () => {
  let net: TestNetwork
  let dialer: E2eLocal
  let host: E2eHost
  let initiator: Channel
  let accepted: Promise<PromiseSettledResult<E2eConnection>>[]

  beforeAll(async () => {
    net = await createTestNetwork()
    const d = await net.identity('ci-job')
    const h = await net.identity('jenkins')
    dialer = { identity: d, grant: await net.grant(d, 'dial') }
    host = createE2eHost({ identity: h, grant: await net.grant(h, 'bind') }, SERVICE)
    const { a, b } = createMemoryPair()
    initiator = createChannel(a, { role: 'initiator' })
    const acceptor = createChannel(b, { role: 'acceptor' })
    accepted = []
    acceptor.on('circuit', (pending) => {
      const circuit: Circuit = pending.accept()
      accepted.push(
        host.accept(circuit).then(
          (value) => ({ status: 'fulfilled', value }),
          (reason: unknown) => ({ status: 'rejected', reason }),
        ),
      )
    })
  })
  afterAll(() => host.close())

  it('carries 1 MiB each way between the two identities', async () => {
    const { circuit } = await initiator.open(Buffer.from('jenkins-webhook'))
    const d = await e2eDial(circuit, dialer, { serviceName: SERVICE.name })
    const h = await accepted.at(-1)!
    if (h.status !== 'fulfilled') throw new Error('accept failed')
    const up = randomBytes(1024 * 1024)
    const down = randomBytes(1024 * 1024)
    d.socket.end(up)
    h.value.socket.end(down)
    const [atHost, atDialer] = await Promise.all([readAll(h.value.socket), readAll(d.socket)])
    expect(atHost.equals(up) && atDialer.equals(down)).toBe(true)
    expect(h.value.peer.identityId).toBe('ci-job')
  })

  it('a refusal reaches the dialer with its reason, not as a bare reset', async () => {
    const { circuit } = await initiator.open(Buffer.from('jenkins-webhook'))
    const wrong = { ...dialer, grant: await net.grant(dialer.identity, 'dial', OTHER_SERVICE) }
    const dial = await e2eDial(circuit, wrong, { serviceName: SERVICE.name }).catch(
      (e: unknown) => e,
    )
    expect(dial).toMatchObject({ code: 'ZH_E2E_REFUSED' })
    expect(codeOf(await accepted.at(-1)!)).toBe('ZH_E2E_WRONG_SERVICE')
    expect(circuit.destroyed).toBe(true)
  })
})
