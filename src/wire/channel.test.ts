import { once } from 'node:events'
import http from 'node:http'
import tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { createChannel, type Channel } from './channel.js'
import { closeOf, collect, until } from './channel-fixture.test-util.js'
import { encodeFrame, FrameDecoder } from './codec.js'
import { FrameType } from './frame.js'
import { createMemoryPair } from './memory-pair.js'
import { decodeReason, encodeReason } from './payloads.js'
import type { PendingCircuit } from './pending.js'
import { RawPeer } from './raw-peer.test-util.js'
import { selfSignedCert } from './tls.test-util.js'
import { MAX_CONTROL_BACKLOG } from './writer.js'

/** Channel behaviour beyond the compliance suite, over the in-memory pair. */
describe('channel', () => {
  const open: Channel[] = []
  afterEach(() => {
    for (const ch of open.splice(0)) ch.close()
  })

  function connected() {
    const pair = createMemoryPair({ capture: true })
    const initiator = createChannel(pair.a, { role: 'initiator', keepaliveMs: 0 })
    const acceptor = createChannel(pair.b, { role: 'acceptor', keepaliveMs: 0 })
    open.push(initiator, acceptor)
    return { initiator, acceptor, pair }
  }

  function againstRaw() {
    const pair = createMemoryPair()
    const channel = createChannel(pair.a, { role: 'initiator', keepaliveMs: 0 })
    open.push(channel)
    return { channel, peer: new RawPeer(pair.b), pair }
  }

  it('writes every frame whole, header and payload in one write', async () => {
    const { initiator, acceptor, pair } = connected()
    acceptor.on('circuit', (p) => {
      const c = p.accept()
      c.pipe(c)
    })
    const { circuit } = await initiator.open(Buffer.from('echo'))
    circuit.end(Buffer.alloc(300_000, 1))
    await collect(circuit)
    for (const direction of [pair.captured.aToB, pair.captured.bToA]) {
      const decoder = new FrameDecoder()
      for (const chunk of direction) {
        const frames = [...decoder.push(chunk)]
        expect(frames.length).toBeGreaterThan(0)
        expect(decoder.buffered).toBe(0)
      }
    }
  })

  it('understands a peer that writes one byte at a time', async () => {
    const { channel, peer } = againstRaw()
    const dribble = (...frames: Parameters<typeof encodeFrame>[0][]) => {
      for (const f of frames) for (const byte of encodeFrame(f)) peer.sendRaw(Uint8Array.of(byte))
    }
    const offered = once(channel, 'circuit')
    dribble({ type: FrameType.OPEN, circuit: 2, payload: Buffer.from('slow meta') })
    const [pending] = (await offered) as [PendingCircuit]
    expect(Buffer.from(pending.meta).toString()).toBe('slow meta')
    const circuit = pending.accept()
    dribble(
      { type: FrameType.DATA, circuit: 2, payload: Buffer.from('hello') },
      { type: FrameType.FIN, circuit: 2 },
    )
    expect((await collect(circuit)).toString()).toBe('hello')
  })

  it('validates options and arguments', async () => {
    const { a } = createMemoryPair()
    const invalid: unknown = expect.objectContaining({ code: 'ZH_WIRE_ARGUMENT_INVALID' })
    expect(() => createChannel(a, { role: 'server' as 'initiator' })).toThrow(invalid)
    expect(() => createChannel(a, { role: 'initiator', window: 10 })).toThrow(invalid)
    expect(() => createChannel(a, { role: 'initiator', maxCircuits: 0 })).toThrow(invalid)
    const { initiator, acceptor } = connected()
    await expect(initiator.open(Buffer.alloc(16 * 1024 + 1))).rejects.toMatchObject({
      code: 'ZH_WIRE_ARGUMENT_INVALID',
    })
    expect(() => initiator.send(Buffer.alloc(65537))).toThrow(invalid)
    expect(() => initiator.close('lower case')).toThrow(invalid)
    acceptor.on('circuit', (p) => {
      expect(() => p.reject('no good')).toThrow(invalid)
      expect(() => p.accept(Buffer.alloc(16 * 1024 + 1))).toThrow(invalid)
      p.accept()
      expect(() => p.accept()).toThrow(invalid)
    })
    await initiator.open(Buffer.from('x'))
  })

  it('aborts an open that the peer does not answer, telling the peer', async () => {
    const { channel, peer } = againstRaw()
    const controller = new AbortController()
    const opening = channel.open(Buffer.from('x'), { signal: controller.signal })
    await peer.next(FrameType.OPEN)
    controller.abort(new Error('dial timeout'))
    await expect(opening).rejects.toThrow('dial timeout')
    expect(decodeReason((await peer.next(FrameType.RESET, 1)).payload).code).toBe(
      'ZH_WIRE_CIRCUIT_CLOSED',
    )
    expect(channel.circuits).toBe(0)
    // A late ACCEPT for it is a race and ignored.
    peer.send(
      { type: FrameType.ACCEPT, circuit: 1 },
      { type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8) },
    )
    await peer.next(FrameType.PONG)
    expect(channel.closed).toBe(false)
  })

  it('tells the app when the peer gave up before the accept', async () => {
    const { channel, peer } = againstRaw()
    const offered = once(channel, 'circuit')
    peer.send({ type: FrameType.OPEN, circuit: 2 })
    const [pending] = (await offered) as [PendingCircuit]
    peer.send({
      type: FrameType.RESET,
      circuit: 2,
      payload: encodeReason('ZH_WIRE_CIRCUIT_CLOSED'),
    })
    await until(() => pending.abandoned)
    expect(() => pending.accept()).toThrow(
      expect.objectContaining({ code: 'ZH_WIRE_CIRCUIT_RESET' }),
    )
    expect(channel.circuits).toBe(0)
  })

  it('closes with ZH_WIRE_PEER_NOT_READING when a peer floods PINGs and never reads', async () => {
    const { channel, peer, pair } = againstRaw()
    pair.b.pause()
    pair.b.removeAllListeners('data')
    const closed = closeOf(channel)
    const ping = encodeFrame({ type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8) })
    const flood = Buffer.concat(Array.from({ length: 4096 }, () => ping))
    for (let sent = 0; sent <= MAX_CONTROL_BACKLOG * 2 && !channel.closed; sent += flood.length) {
      peer.sendRaw(flood)
      await new Promise((r) => setImmediate(r))
    }
    expect(await closed).toMatchObject({ code: 'ZH_WIRE_PEER_NOT_READING' })
  })

  it('serves http.Server over circuits, like sockets, with keep-alive', async () => {
    const { initiator, acceptor } = connected()
    const server = http.createServer((req, res) => res.end(`hello ${req.url}`))
    acceptor.on('circuit', (p) => server.emit('connection', p.accept()))
    const { circuit } = await initiator.open(Buffer.from('http'))
    circuit.write('GET /one HTTP/1.1\r\nHost: svc\r\n\r\n')
    circuit.end('GET /two HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n')
    const text = (await collect(circuit)).toString()
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/)
    expect(text).toContain('hello /one')
    expect(text).toContain('hello /two')
    await until(() => acceptor.circuits === 0 && initiator.circuits === 0)
  })

  it('carries mutual TLS 1.3 inside a circuit, and times out idle circuits like sockets', async () => {
    const { certPem, keyPem } = await selfSignedCert()
    const common = { key: keyPem, cert: certPem, ca: certPem, minVersion: 'TLSv1.3' } as const
    const server = tls.createServer(
      { ...common, requestCert: true, rejectUnauthorized: true },
      (s) => s.pipe(s),
    )
    const { initiator, acceptor } = connected()
    acceptor.on('circuit', (p) => server.emit('connection', p.accept()))
    const { circuit } = await initiator.open(Buffer.from('e2e'))
    expect(circuit.setNoDelay(true).setKeepAlive(true).ref().unref()).toBe(circuit)
    expect(circuit.remoteAddress).toBeUndefined()
    const secure = tls.connect({ ...common, socket: circuit, checkServerIdentity: () => undefined })
    await once(secure, 'secureConnect')
    expect(secure.getProtocol()).toBe('TLSv1.3')
    secure.end('over the overlay')
    expect((await collect(secure)).toString()).toBe('over the overlay')

    const idle = await initiator.open(Buffer.from('idle'))
    idle.circuit.setTimeout(30)
    await once(idle.circuit, 'timeout')
    idle.circuit.destroy()
  })
})
