import { randomBytes } from 'node:crypto'
import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { fingerprint } from '../../pki/inspect.js'
import type { IdentityFile } from '../identity-file.js'
import { e2eDial } from './dial.js'
import {
  SERVICE,
  createTestNetwork,
  handshakeOverPair,
  readAll,
  type TestNetwork,
} from './e2e.test-util.js'
import { createE2eHost } from './host.js'
import { okHoldingRelay, openCapture, secretsOf } from './records/records.test-util.js'
import { E2eSocket } from './records/socket.js'
import type { E2eLocal } from './types.js'

let network: TestNetwork
let dialer: E2eLocal
let hoster: E2eLocal
let dialerId: IdentityFile
let hosterId: IdentityFile

beforeAll(async () => {
  network = await createTestNetwork()
  dialerId = await network.identity('ci-job')
  hosterId = await network.identity('jenkins')
  dialer = { identity: dialerId, grant: await network.grant(dialerId, 'dial') }
  hoster = { identity: hosterId, grant: await network.grant(hosterId, 'bind') }
})

describe('end-to-end handshake', () => {
  it('authenticates both identities and carries 1 MiB each way intact', async () => {
    const { dial, accept } = await handshakeOverPair(dialer, hoster)
    expect(dial.status).toBe('fulfilled')
    expect(accept.status).toBe('fulfilled')
    if (dial.status !== 'fulfilled' || accept.status !== 'fulfilled') return
    const d = dial.value
    const h = accept.value

    expect(d.peer).toMatchObject({ identityId: 'jenkins', grant: { act: 'bind', sub: 'jenkins' } })
    expect(h.peer).toMatchObject({ identityId: 'ci-job', grant: { act: 'dial', sub: 'ci-job' } })
    expect(d.peer.fingerprint).toBe(fingerprint(hosterId.certificate))
    expect(h.peer.fingerprint).toBe(fingerprint(dialerId.certificate))
    expect(d.socket.peerIdentity).toBe(d.peer)
    expect(h.socket.peerIdentity).toBe(h.peer)
    expect(d.socket).toBeInstanceOf(E2eSocket)
    expect(h.socket).toBeInstanceOf(E2eSocket)

    const up = randomBytes(1024 * 1024)
    const down = randomBytes(1024 * 1024)
    d.socket.end(up)
    h.socket.end(down)
    const [atHost, atDialer] = await Promise.all([readAll(h.socket), readAll(d.socket)])
    expect(atHost.equals(up)).toBe(true)
    expect(atDialer.equals(down)).toBe(true)
  })

  it('keeps bytes sent right behind the handshake for the application', async () => {
    const { dial, accept } = await handshakeOverPair(dialer, hoster)
    if (dial.status !== 'fulfilled' || accept.status !== 'fulfilled') throw new Error('failed')
    // Written the moment the dialer is through: they cross the wire right behind its `ok`.
    dial.value.socket.end('first bytes')
    expect((await readAll(accept.value.socket)).toString()).toBe('first bytes')
  })

  it.each(['dialer', 'hoster'] as const)(
    'switches exactly when the %s’s first record comes in one chunk with its ok',
    async (side) => {
      const relay = okHoldingRelay(side)
      const host = createE2eHost(hoster, SERVICE)
      // Each end writes the moment its handshake is through.
      const [h, d] = await Promise.all([
        host.accept(relay.hosterEnd).then((c) => (c.socket.write('and back'), c)),
        e2eDial(relay.dialerEnd, dialer, { serviceName: SERVICE.name }).then(
          (c) => (c.socket.write('right behind the ok'), c),
        ),
      ])
      host.close()
      // (Read without ending: a memory pair ends both ways as soon as one side ends.)
      const got = (s: Duplex, text: string) =>
        new Promise<void>((resolve) => {
          let seen = ''
          s.on('data', (c: Buffer) => (seen += c.toString()) === text && resolve())
        })
      await Promise.all([got(h.socket, 'right behind the ok'), got(d.socket, 'and back')])
      expect(relay.mixed()).toBe(1)
      d.socket.destroy()
      h.socket.destroy()
    },
  )

  it('a relay that sees every byte never sees the plaintext, nor the grants', async () => {
    const logged: string[] = []
    const { dial, accept, pair } = await handshakeOverPair(dialer, hoster, {
      options: { keylog: (line) => logged.push(line.toString()) },
    })
    if (dial.status !== 'fulfilled' || accept.status !== 'fulfilled') throw new Error('failed')
    const marker = 'ZEROHOOK-PLAINTEXT-MARKER-4f1c'
    // Enough to span several records, each marked.
    const up = `${marker} from the dialer `.repeat(2000)
    const down = `${marker} from the hoster `.repeat(2000)
    dial.value.socket.end(up)
    accept.value.socket.end(down)
    const [atHost, atDialer] = await Promise.all([
      readAll(accept.value.socket),
      readAll(dial.value.socket),
    ])
    expect(atHost.toString()).toBe(up)
    expect(atDialer.toString()).toBe(down)

    const { aToB, bToA } = pair.captured
    const relayed = Buffer.concat([...aToB, ...bToA])
    expect(relayed.length).toBeGreaterThan(up.length + down.length)
    expect(relayed.includes(marker)).toBe(false)
    expect(relayed.includes(dialer.grant.slice(-40))).toBe(false)
    expect(relayed.includes(hoster.grant.slice(-40))).toBe(false)

    // The key log opens exactly what crossed: TLS records, then records that hold the data and
    // end with END. So the capture above is the data, encrypted, and nothing else.
    expect(logged.filter((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0'))).toHaveLength(2)
    const secrets = secretsOf(logged)
    const toHoster = openCapture(aToB, secrets.dialer)
    const toDialer = openCapture(bToA, secrets.hoster)
    expect(toHoster.ended && toHoster.plaintext.toString() === up).toBe(true)
    expect(toDialer.ended && toDialer.plaintext.toString() === down).toBe(true)
    expect(toHoster.tlsRecords).toBeGreaterThan(0)
    // Each direction under its own key.
    expect(() => openCapture(aToB, secrets.hoster)).toThrow(
      expect.objectContaining({ code: 'ZH_E2E_RECORD_INVALID' }),
    )
  })

  it('one host tells concurrent handshakes apart', async () => {
    const host = createE2eHost(hoster, SERVICE)
    const dialers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const identity = await network.identity(`sender-${i}`)
        return { identity, grant: await network.grant(identity, 'dial') }
      }),
    )
    const results = await Promise.all(
      dialers.map((local) => handshakeOverPair(local, hoster, { host })),
    )
    host.close()
    results.forEach(({ dial, accept }, i) => {
      expect(dial.status).toBe('fulfilled')
      expect(accept.status === 'fulfilled' && accept.value.peer.identityId).toBe(`sender-${i}`)
    })
  })

  it('runs over real TCP on 127.0.0.1', async () => {
    const host = createE2eHost(hoster, SERVICE)
    const accepted = new Promise<string>((resolve, reject) => {
      const server = net.createServer((tcp) => {
        server.close()
        host
          .accept(tcp)
          .then(async ({ socket, peer }) => {
            const text = (await readAll(socket)).toString()
            resolve(`${peer.identityId}: ${text}`)
          })
          .catch(reject)
      })
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo
        const tcp = net.connect(port, '127.0.0.1')
        e2eDial(tcp, dialer, { serviceName: SERVICE.name })
          .then(({ socket }) => socket.end('over tcp'))
          .catch(reject)
      })
    })
    expect(await accepted).toBe('ci-job: over tcp')
    host.close()
  })

  it('picks up a renewed hoster certificate at the next accept', async () => {
    const renewed = await network.identity('jenkins')
    const local: E2eLocal = { identity: { ...hosterId }, grant: hoster.grant }
    const host = createE2eHost(local, SERVICE)
    const first = await handshakeOverPair(dialer, local, { host })
    Object.assign(local.identity, { certificate: renewed.certificate, key: renewed.key })
    local.grant = await network.grant(renewed, 'bind')
    const second = await handshakeOverPair(dialer, local, { host })
    host.close()
    if (first.dial.status !== 'fulfilled' || second.dial.status !== 'fulfilled') {
      throw new Error('a handshake failed')
    }
    expect(first.dial.value.peer.fingerprint).toBe(fingerprint(hosterId.certificate))
    expect(second.dial.value.peer.fingerprint).toBe(fingerprint(renewed.certificate))
    expect(second.dial.value.peer.grant.cfp).toBe(fingerprint(renewed.certificate))
  })
})
