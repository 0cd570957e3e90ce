import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import { connect, type Zerohook } from '../sdk/context.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { knockKeys, makeKnock } from '../wire/knock.js'
import { startLinkBed } from './links/links.test-util.js'
import { grantsOf, routerConnect, startRouterBed, type RouterBed } from './router.test-util.js'
import { addService, until } from './traffic.test-util.js'
import { startWireTap, type Recording, type WireTap } from './wire-tap.test-util.js'

const KNOCK_TIMEOUT = 300

async function refusals(bed: RouterBed): Promise<Record<string, number>> {
  const { values } = await bed.router.metrics.connectionsRefused.get()
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]))
}

/** A raw TCP client through the tap that sends `bytes` (each buffer at once), then waits. */
async function send(tap: WireTap, ...bytes: Buffer[]): Promise<Recording> {
  const socket = net.connect(tap.port, '127.0.0.1')
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  for (const b of bytes) socket.write(b)
  const timer = setTimeout(() => socket.destroy(), 5000)
  const recording = await tap.next()
  clearTimeout(timer)
  socket.destroy()
  return recording
}

/** A TLS ClientHello, as a scanner (or an endpoint without knock keys) opens. */
async function tlsHello(tap: WireTap): Promise<Recording> {
  const socket = tls.connect({ host: '127.0.0.1', port: tap.port, rejectUnauthorized: false })
  socket.on('error', () => undefined)
  const recording = await tap.next()
  socket.destroy()
  return recording
}

describe('router --knock: silent to whoever does not knock right', { timeout: 60_000 }, () => {
  let bed: RouterBed
  let tap: WireTap
  let hoster: IdentityFile
  let dialer: IdentityFile
  let sdks: Zerohook[] = []

  beforeAll(async () => {
    bed = await startRouterBed({ knock: true, limits: { knockTimeoutMs: KNOCK_TIMEOUT } })
    tap = await startWireTap(bed.router.port)
    await addService(bed, 'svc')
    hoster = await bed.endpoint('hoster', ['svc-host'])
    dialer = await bed.endpoint('dialer', ['svc-dial'])
  })
  afterAll(async () => {
    for (const z of sdks) await z.close()
    await tap?.close()
    await bed?.stop()
  })

  it('gives endpoints the knock keys at enrollment and with their grants', async () => {
    const keys = bed.c.ctx.knock!.keys()
    expect(keys.length).toBeGreaterThanOrEqual(1)
    expect(knockKeys(keys)).toHaveLength(keys.length)
    expect(dialer.knock).toEqual(keys)
    expect((await grantsOf(dialer)).knock).toEqual(keys)
    expect(bed.router.identity.current.knock).toEqual(keys)
  })

  it('serves endpoints of the SDK, which knock: they bind, dial and relay', async () => {
    const log = pino({ level: 'silent' })
    const host = await connect(hoster, { log })
    const sender = await connect(dialer, { log })
    sdks = [host, sender]
    const listener = await host.listen('svc')
    listener.on('connection', (s: NodeJS.ReadWriteStream) => s.pipe(s))
    const socket = await sender.dial('svc')
    socket.end('knock knock')
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    await once(socket, 'end')
    expect(Buffer.concat(chunks).toString()).toBe('knock knock')
  })

  it('sends not one byte to any other opening, and closes each the same way at the same time', async () => {
    const [current] = knockKeys(bed.c.ctx.knock!.keys())
    const valid = makeKnock(current!)
    // That knock gets in once: the TLS handshake after it completes...
    const raw = net.connect(bed.router.port, '127.0.0.1')
    await once(raw, 'connect')
    raw.write(valid)
    const first = tls.connect({ socket: raw, rejectUnauthorized: false })
    await once(first, 'secureConnect')
    first.destroy()
    const before = await refusals(bed)
    // ...and never again.
    const replayed = await send(tap, valid)
    const cases: [string, () => Promise<Recording>][] = [
      ['nothing at all', () => send(tap)],
      ['a TLS ClientHello (no knock)', () => tlsHello(tap)],
      ['an HTTP request', () => send(tap, Buffer.from('GET / HTTP/1.1\r\nHost: r\r\n\r\n'))],
      ['32 bytes of garbage', () => send(tap, Buffer.alloc(32, 7))],
      ['a knock under another key', () => send(tap, makeKnock(Buffer.alloc(32, 1)))],
      ['a stale knock', () => send(tap, makeKnock(current!, Date.now() - 120_000))],
      ['half a knock', () => send(tap, valid.subarray(0, 16))],
    ]
    const seen: { what: string; bytes: number; close: string; ms: number }[] = []
    const r = (what: string, rec: Recording) =>
      seen.push({ what, bytes: rec.fromServer.length, close: rec.close, ms: rec.openMs })
    r('a replayed knock', replayed)
    for (const [what, run] of cases) r(what, await run())
    for (const s of seen) {
      expect({ what: s.what, bytes: s.bytes, close: s.close }).toEqual({
        what: s.what,
        bytes: 0,
        close: 'fin',
      })
      // Closed at the knock timeout from the connection, whatever was sent (generous bounds).
      expect(s.ms).toBeGreaterThanOrEqual(KNOCK_TIMEOUT - 5)
      expect(s.ms).toBeLessThan(KNOCK_TIMEOUT + 150)
    }
    const after = await refusals(bed)
    const moved = (reason: string) => (after[reason] ?? 0) - (before[reason] ?? 0)
    expect(moved('knock-replayed')).toBe(1)
    // Nothing, half a knock and a short HTTP request: less than a knock's 32 bytes, in time.
    expect(moved('knock-timeout')).toBe(3)
    expect(moved('knock')).toBe(4)
  })

  it('takes a new key as soon as the controller rotates it, the previous one still, the one before not', async () => {
    const old = bed.c.ctx.knock!.keys()[0]!
    const rotated = await bed.c.ctx.knock!.rotate()
    expect(rotated[1]).toBe(old)
    await until(() => bed.router.identity.current.knock?.[0] === rotated[0], 5000, 'pushed')
    const knockWith = (key: string) =>
      codeOf(
        routerConnect(bed.router.port, dialer, bed.routerId, { knock: [key] }).then((s) =>
          s.destroy(),
        ),
      )
    expect(await knockWith(rotated[0]!)).toBe('no error')
    expect(await knockWith(old)).toBe('no error')
    const again = await bed.c.ctx.knock!.rotate()
    await until(() => bed.router.identity.current.knock?.[0] === again[0], 5000, 'pushed again')
    expect(await knockWith(old)).not.toBe('no error')
    expect(await knockWith(again[0]!)).toBe('no error')
  })
})

describe('router --knock: links', { timeout: 60_000 }, () => {
  it('two routers run with --knock link to each other', async () => {
    // startLinkBed resolves once the link is up both ways.
    const bed = await startLinkBed({ knock: true })
    try {
      expect(bed.low.router.links.get(bed.high.routerId)).toBeDefined()
      expect(bed.high.router.links.get(bed.low.routerId)).toBeDefined()
    } finally {
      await bed.stop()
    }
  })
})
