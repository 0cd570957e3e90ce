import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZhError } from '../../errors.js'
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
import type { E2eConnection, E2eLocal, E2eOptions } from './types.js'

/** The end-to-end layer over real zerohook circuits (one multiplexed channel, no router). */
describe('end-to-end over wire circuits', () => {
  let net: TestNetwork
  let dialer: E2eLocal
  let hoster: E2eLocal
  let host: E2eHost
  let initiator: Channel
  let accepted: Promise<PromiseSettledResult<E2eConnection>>[]
  let circuits: Circuit[]

  beforeAll(async () => {
    net = await createTestNetwork()
    const d = await net.identity('ci-job')
    const h = await net.identity('jenkins')
    dialer = { identity: d, grant: await net.grant(d, 'dial') }
    hoster = { identity: h, grant: await net.grant(h, 'bind') }
    host = createE2eHost(hoster, SERVICE)
    const { a, b } = createMemoryPair()
    initiator = createChannel(a, { role: 'initiator' })
    const acceptor = createChannel(b, { role: 'acceptor' })
    accepted = []
    circuits = []
    acceptor.on('circuit', (pending) => {
      const circuit: Circuit = pending.accept()
      circuits.push(circuit)
      accepted.push(
        host.accept(circuit).then(
          (value) => ({ status: 'fulfilled', value }),
          (reason: unknown) => ({ status: 'rejected', reason }),
        ),
      )
    })
  })
  afterAll(() => host.close())

  /** A dial over a new circuit, and the hoster's end of it (`options` on both ends). */
  async function connect(options?: E2eOptions) {
    const previous = host
    if (options) host = createE2eHost(hoster, SERVICE, options)
    try {
      const { circuit } = await initiator.open(Buffer.from('jenkins-webhook'))
      const d = await e2eDial(circuit, dialer, { serviceName: SERVICE.name }, options)
      const h = await accepted.at(-1)!
      if (h.status !== 'fulfilled') throw h.reason
      return { d: d.socket, h: h.value.socket, circuit, hosterCircuit: circuits.at(-1)! }
    } finally {
      if (options) host.close()
      host = previous
    }
  }

  /** The text a stream delivers up to its end (without destroying it, as for-await would). */
  const untilEnd = (s: Duplex) =>
    new Promise<string>((resolve, reject) => {
      let text = ''
      s.on('data', (c: Buffer) => (text += c.toString()))
      s.once('end', () => resolve(text))
      s.once('error', reject)
    })

  /** Resolves with 'end', or the code the stream failed with. */
  const settled = (s: Duplex) =>
    new Promise<string>((resolve) => {
      s.once('end', () => resolve('end'))
      s.once('error', (err: Error & { code?: string }) => resolve(String(err.code)))
    })

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

  it('half-close: the dialer ends its side and still reads the answer', async () => {
    const { d, h, circuit } = await connect()
    d.end('request')
    expect(await untilEnd(h)).toBe('request')
    // The hoster read the dialer's end; its own side is still open.
    expect(h.writable).toBe(true)
    h.end('answer')
    expect(await untilEnd(d)).toBe('answer')
    // Both directions ended cleanly: everything closes, without an error anywhere.
    await new Promise((resolve) => setImmediate(resolve))
    expect([d, h, circuit].map((s) => [s.destroyed, s.errored])).toEqual([
      [true, null],
      [true, null],
      [true, null],
    ])
  })

  it('backpressure: a reader that stops holds the writer back, and nothing is lost', async () => {
    const { d, h } = await connect()
    h.pause()
    const chunk = randomBytes(64 * 1024)
    const drain = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms)
        d.once('drain', () => (clearTimeout(timer), resolve(true)))
      })
    // Write as a socket user does (until write() says wait, then on 'drain'), until it stalls
    // (or, were backpressure broken, until far past anything a circuit may hold).
    const limit = 8 * 1024 * 1024
    let accepted = 0
    do {
      do accepted += chunk.length
      while (d.write(chunk) && accepted < limit)
    } while (accepted < limit && (await drain(100)))
    // Held along the way: the writer's buffer and the circuit's window (256 KiB).
    expect(accepted).toBeLessThanOrEqual(512 * 1024)
    const all = readAll(h)
    h.resume()
    await drain(5_000)
    d.end()
    const got = await all
    expect(got.length).toBe(accepted)
    expect(got.subarray(-chunk.length).equals(chunk)).toBe(true)
  })

  it('keys move on every 3 records, both ways, and the data crosses intact', async () => {
    const { d, h } = await connect({ recordsPerKey: 3 })
    // 1 MiB is 64 records of 16 KiB: the key changes 21 times each way.
    const up = randomBytes(1024 * 1024)
    const down = randomBytes(1024 * 1024)
    d.end(up)
    h.end(down)
    const [atHost, atDialer] = await Promise.all([readAll(h), readAll(d)])
    expect(atHost.equals(up) && atDialer.equals(down)).toBe(true)
  })

  it('ends that move to the next key at different points fail there', async () => {
    const { circuit } = await initiator.open(Buffer.from('jenkins-webhook'))
    const previous = host
    host = createE2eHost(hoster, SERVICE, { recordsPerKey: 4 })
    const d = await e2eDial(circuit, dialer, { serviceName: SERVICE.name }, { recordsPerKey: 3 })
    const h = await accepted.at(-1)!
    host.close()
    host = previous
    if (h.status !== 'fulfilled') throw h.reason
    const at = settled(h.value.socket)
    let received = ''
    h.value.socket.on('data', (c: Buffer) => (received += c.toString()))
    d.socket.on('error', () => undefined)
    for (const t of ['1', '2', '3', '4']) await new Promise((r) => d.socket.write(t, r))
    expect(await at).toBe('ZH_E2E_RECORD_INVALID')
    expect(received).toBe('123')
  })

  it('destroy() after writing closes like TCP: the peer reads everything, then a clean end', async () => {
    const { d, h } = await connect()
    const data = randomBytes(100_000)
    await new Promise((resolve) => d.write(data, resolve))
    d.destroy()
    const all = readAll(h)
    expect((await all).equals(data)).toBe(true)
  })

  it('destroySoon() ends, then closes once the end went out (as an http.Server does)', async () => {
    const { d, h, circuit } = await connect()
    d.destroySoon()
    expect(await untilEnd(h)).toBe('')
    await new Promise((resolve) => setImmediate(resolve))
    expect([d.destroyed, d.errored, circuit.destroyed]).toEqual([true, null, true])
  })

  it('destroy(err) resets the circuit: the peer sees the error’s code', async () => {
    const { d, h } = await connect()
    const at = settled(h)
    h.resume()
    d.on('error', () => undefined)
    d.destroy(new ZhError('ZH_SDK_CLOSED'))
    expect(await at).toBe('ZH_SDK_CLOSED')
  })

  it('an overlay reset of the circuit reaches the socket with its code', async () => {
    const { d, h, hosterCircuit } = await connect()
    const at = settled(d)
    d.resume()
    h.on('error', () => undefined)
    hosterCircuit.reset('ZH_ROUTER_PERMISSION_REVOKED')
    expect(await at).toBe('ZH_ROUTER_PERMISSION_REVOKED')
  })

  it('a circuit that closes without the end record is truncated, not ended', async () => {
    const { d, hosterCircuit, h } = await connect()
    const at = settled(d)
    d.resume()
    h.on('error', () => undefined)
    // What a router that drops the end record and closes looks like from here.
    hosterCircuit.end()
    expect(await at).toBe('ZH_E2E_TRUNCATED')
  })
})
