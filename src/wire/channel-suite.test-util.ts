import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { abuseCases } from './channel-abuse.test-util.js'
import {
  channelFixture,
  closeOf,
  collect,
  KiB,
  MiB,
  sha,
  until,
  writeInPieces,
  type DuplexPair,
} from './channel-fixture.test-util.js'
import { createChannel } from './channel.js'
import type { Circuit } from './circuit.js'
import { FrameType } from './frame.js'
import { encodeReason } from './payloads.js'

export type { DuplexPair } from './channel-fixture.test-util.js'

/**
 * The channel compliance suite, written once and run over every transport: `connect` returns
 * two fresh connected duplexes per test (the suite destroys them afterwards).
 */
export function channelSuite(name: string, connect: () => Promise<DuplexPair>): void {
  describe(`channel over ${name}`, () => {
    const fixture = channelFixture(connect)
    const { pairOf, channels, againstRaw, acceptAll } = fixture

    it('opens and accepts circuits with metadata, from either end, with odd and even ids', async () => {
      const { initiator, acceptor } = await channels()
      const seen: string[] = []
      for (const ch of [initiator, acceptor]) {
        ch.on('circuit', (p) => {
          seen.push(Buffer.from(p.meta).toString())
          p.accept(Buffer.from(`re:${Buffer.from(p.meta).toString()}`))
        })
      }
      const a = await initiator.open(Buffer.from('from-initiator'))
      const b = await acceptor.open(Buffer.from('from-acceptor'))
      const c = await initiator.open(new Uint8Array(0))
      expect(Buffer.from(a.acceptMeta).toString()).toBe('re:from-initiator')
      expect(Buffer.from(b.acceptMeta).toString()).toBe('re:from-acceptor')
      expect(seen).toEqual(['from-initiator', 'from-acceptor', ''])
      expect([a.circuit.id, c.circuit.id, b.circuit.id]).toEqual([1, 3, 2])
      expect(initiator.circuits).toBe(3)
    })

    it('rejects an open with the peer code, a foreign code, or no listener', async () => {
      const { initiator, acceptor } = await channels()
      await expect(initiator.open(Buffer.from('x'))).rejects.toMatchObject({
        code: 'ZH_WIRE_CIRCUIT_REFUSED',
      })
      acceptor.on('circuit', (p) => {
        const meta = Buffer.from(p.meta).toString()
        if (meta === 'grant') p.reject('ZH_GRANT_EXPIRED', 'the grant expired')
        else p.reject('NOT_OURS')
      })
      await expect(initiator.open(Buffer.from('grant'))).rejects.toMatchObject({
        code: 'ZH_GRANT_EXPIRED',
        detail: 'the grant expired',
      })
      await expect(initiator.open(Buffer.from('other'))).rejects.toMatchObject({
        code: 'ZH_WIRE_CIRCUIT_RESET',
        detail: 'NOT_OURS',
      })
      await until(() => initiator.circuits === 0 && acceptor.circuits === 0)
    })

    it('carries several MiB both ways intact', async () => {
      const { initiator, acceptor } = await channels()
      const up = randomBytes(4 * MiB)
      const down = randomBytes(4 * MiB)
      let upGot: Promise<Buffer> | undefined
      acceptor.on('circuit', (p) => {
        const c = p.accept()
        void writeInPieces(c, down)
        upGot = collect(c)
      })
      const { circuit } = await initiator.open(Buffer.from('bulk'))
      const [downGot] = await Promise.all([collect(circuit), writeInPieces(circuit, up)])
      expect(sha(downGot)).toBe(sha(down))
      expect(sha(await upGot!)).toBe(sha(up))
      await until(() => initiator.circuits === 0 && acceptor.circuits === 0)
      expect(initiator.stats.bytesOut).toBeGreaterThan(up.length)
      await until(() => initiator.stats.bytesOut === acceptor.stats.bytesIn)
      await until(() => acceptor.stats.bytesOut === initiator.stats.bytesIn)
    })

    it('runs many circuits at once', async () => {
      const { initiator, acceptor } = await channels()
      acceptor.on('circuit', (p) => {
        const c = p.accept()
        c.pipe(c)
      })
      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const data = randomBytes(16 * KiB + i)
          const { circuit } = await initiator.open(Buffer.from(String(i)))
          circuit.end(data)
          return sha(await collect(circuit)) === sha(data)
        }),
      )
      expect(results.every(Boolean)).toBe(true)
      await until(() => initiator.circuits === 0 && acceptor.circuits === 0)
    })

    it('half-closes each direction independently', async () => {
      const { initiator, acceptor } = await channels()
      const reply = randomBytes(MiB)
      const late = randomBytes(MiB)
      let lateReceived: Promise<Buffer> | undefined
      acceptor.on('circuit', (p) => {
        const c = p.accept()
        if (Buffer.from(p.meta).toString() === 'client-first') {
          // The client ended its side; we read the request to the end, then still answer.
          void collect(c).then((request) => c.end(Buffer.concat([request, reply])))
        } else {
          // We end first; the client keeps sending after seeing our end.
          c.end(Buffer.from('bye'))
          lateReceived = collect(c)
        }
      })
      const first = await initiator.open(Buffer.from('client-first'))
      first.circuit.end(Buffer.from('request:'))
      const answer = await collect(first.circuit)
      expect(sha(answer)).toBe(sha(Buffer.concat([Buffer.from('request:'), reply])))

      const second = await initiator.open(Buffer.from('server-first'))
      expect((await collect(second.circuit)).toString()).toBe('bye')
      second.circuit.end(late)
      expect(sha(await lateReceived!)).toBe(sha(late))
      await until(() => initiator.circuits === 0 && acceptor.circuits === 0)
    })

    it('carries a reset code to the peer', async () => {
      const { initiator, acceptor } = await channels()
      const accepted = acceptAll(acceptor)
      const errors: Error[] = []
      const a = await initiator.open(Buffer.from('a'))
      const b = await initiator.open(Buffer.from('b'))
      for (const c of accepted) c.on('error', (e) => errors.push(e))
      a.circuit.reset('ZH_GRANT_EXPIRED', 'grant ran out')
      b.circuit.on('error', () => {})
      b.circuit.destroy(
        Object.assign(new Error('local detail stays local'), { code: 'ECONNRESET' }),
      )
      await until(() => errors.length === 2)
      expect(errors[0]).toMatchObject({ code: 'ZH_GRANT_EXPIRED', detail: 'grant ran out' })
      expect(errors[1]).toMatchObject({ code: 'ZH_WIRE_CIRCUIT_RESET', detail: 'ECONNRESET' })
      await until(() => initiator.circuits === 0 && acceptor.circuits === 0)
    })

    it('destroy() after end() finishes the peer cleanly; destroy() mid-stream is never silent', async () => {
      const { initiator, acceptor } = await channels()
      const body = randomBytes(MiB)
      acceptor.on('circuit', (p) => {
        const c = p.accept()
        if (Buffer.from(p.meta).toString() === 'clean') {
          // What http.Server does on Connection: close: end, then destroy once flushed.
          c.end(body, () => c.destroy())
        } else {
          c.write(body)
          c.once('data', () => c.destroy())
        }
      })
      const clean = await initiator.open(Buffer.from('clean'))
      const cleanErrors: Error[] = []
      clean.circuit.on('error', (e) => cleanErrors.push(e))
      await sleep(20) // the reader is late: the data must still be there
      expect(sha(await collect(clean.circuit))).toBe(sha(body))
      expect(cleanErrors).toEqual([])

      const cut = await initiator.open(Buffer.from('cut'))
      const error = once(cut.circuit, 'error')
      cut.circuit.write('destroy now')
      expect((await error)[0]).toMatchObject({ code: 'ZH_WIRE_CIRCUIT_CLOSED' })
    })

    it('isolates circuits: a stalled reader stops only its own sender, within the window', async () => {
      const window = 64 * KiB
      const { initiator, acceptor } = await channels({ window }, { window })
      const accepted = acceptAll(acceptor)
      const a = (await initiator.open(Buffer.from('A'))).circuit
      const b = (await initiator.open(Buffer.from('B'))).circuit
      const [aIn, bIn] = accepted as [Circuit, Circuit]
      const aData = randomBytes(MiB)
      let aFlushed = false
      a.write(aData, () => (aFlushed = true))

      const bData = randomBytes(4 * MiB)
      const [bGot] = await Promise.all([collect(bIn), writeInPieces(b, bData)])
      expect(sha(bGot)).toBe(sha(bData))

      expect(aFlushed).toBe(false)
      expect(a.bytesWritten).toBe(window)
      await until(() => aIn.readableLength === window)
      await sleep(20)
      expect(aIn.readableLength).toBe(window)

      a.end()
      expect(sha(await collect(aIn))).toBe(sha(aData))
      expect(aFlushed).toBe(true)
    })

    it('keeps an idle channel alive with PING/PONG', async () => {
      const { initiator, acceptor } = await channels(
        { keepaliveMs: 20, keepaliveTimeoutMs: 60 },
        { keepaliveMs: 20, keepaliveTimeoutMs: 60 },
      )
      await sleep(300)
      expect(initiator.closed || acceptor.closed).toBe(false)
      expect(initiator.stats.framesIn).toBeGreaterThan(2)
    })

    it('carries channel messages and close codes; open circuits end with the code', async () => {
      const { initiator, acceptor } = await channels()
      const accepted = acceptAll(acceptor)
      const got = once(acceptor, 'message')
      initiator.send(Buffer.from('revoke x1'))
      expect(Buffer.from((await got)[0] as Uint8Array).toString()).toBe('revoke x1')
      const { circuit } = await initiator.open(Buffer.from('x'))
      const peerError = once(accepted[0]!, 'error')
      circuit.on('error', () => {})
      const closed = closeOf(acceptor)
      initiator.close('ZH_IDENTITY_DELETED', 'x1 was deleted')
      expect(await closed).toMatchObject({ code: 'ZH_IDENTITY_DELETED', detail: 'x1 was deleted' })
      expect((await peerError)[0]).toMatchObject({ code: 'ZH_IDENTITY_DELETED' })
      await expect(initiator.open(Buffer.from('x'))).rejects.toMatchObject({
        code: 'ZH_IDENTITY_DELETED',
      })
      expect(() => initiator.send(Buffer.from('late'))).toThrow(
        expect.objectContaining({ code: 'ZH_IDENTITY_DELETED' }),
      )
    })

    it('closes normally without an error on either end', async () => {
      const { initiator, acceptor } = await channels()
      const closes = [closeOf(initiator), closeOf(acceptor)]
      acceptor.close()
      expect(await Promise.all(closes)).toEqual([undefined, undefined])
    })

    it('closes with ZH_WIRE_CHANNEL_CLOSED when the connection drops', async () => {
      const pair = await pairOf()
      const channel = createChannel(pair.initiator, { role: 'initiator', keepaliveMs: 0 })
      const closed = closeOf(channel)
      pair.acceptor.destroy()
      expect(await closed).toMatchObject({ code: 'ZH_WIRE_CHANNEL_CLOSED' })
    })

    it('answers a GOAWAY with an unknown code by closing with ZH_WIRE_CHANNEL_CLOSED', async () => {
      const { closed, peer } = await againstRaw()
      peer.send({
        type: FrameType.GOAWAY,
        circuit: 0,
        payload: encodeReason('SHUTTING_DOWN', 'bye', true),
      })
      expect(await closed).toMatchObject({
        code: 'ZH_WIRE_CHANNEL_CLOSED',
        detail: 'SHUTTING_DOWN: bye',
      })
    })

    describe('against a misbehaving peer, and at the limits', () => abuseCases(fixture))
  })
}
