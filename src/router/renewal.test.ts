import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import https from 'node:https'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { IdentityFile } from '../sdk/identity-file.js'
import { createChannel, type Channel } from '../wire/index.js'
import {
  capturingLog,
  certFingerprint,
  routerFingerprint,
  startRouterBed,
  tlsLink,
  type RouterBed,
} from './router.test-util.js'
import { addService, bindOn, echo, roundTrip, until, within } from './traffic.test-util.js'

/** The shortest certificate lifetime the controller accepts: a renewal every ~6 s. */
const CERT_TTL = 10
const settings = { certTtl: CERT_TTL, grantTtl: 5 }

/** An endpoint connection whose TLS socket the test can look at, and how it closed. */
async function connectAs(bed: RouterBed, identity: IdentityFile) {
  const socket = await tlsLink(bed, identity)
  const channel = createChannel(socket, { role: 'initiator' })
  const closed = new Promise<{ code: string | undefined; at: number }>((resolve) =>
    channel.once('close', (err) => resolve({ code: err?.code, at: Date.now() })),
  )
  return { socket, channel, closed }
}

/** Accepts and echoes every termination of a hosting channel. */
function hostEcho(channel: Channel): void {
  channel.on('circuit', (pending) => {
    const circuit = pending.accept()
    circuit.on('error', () => undefined)
    echo(circuit)
  })
}

/** The serving certificate a scanner gets from the bed's router. */
async function served(bed: RouterBed): Promise<X509Certificate> {
  const s = tls.connect({ host: '127.0.0.1', port: bed.router.port, rejectUnauthorized: false })
  s.on('error', () => undefined)
  await once(s, 'secureConnect')
  const cert = s.getPeerX509Certificate()!
  s.destroy()
  return cert
}

async function expiryGauge(bed: RouterBed): Promise<number | undefined> {
  const metric = await bed.router.metrics.certificateExpiry?.get()
  return metric?.values.find((v) => v.labels.kind === 'router' && v.labels.name === 'r1')?.value
}

describe('router certificate renewal', { timeout: 60_000 }, () => {
  const { log, lines } = capturingLog()
  const renewed: IdentityFile[] = []
  let bed: RouterBed
  let first: string
  /** The opaque certificate the edge served before the renewal. */
  let servedFirst: string
  let hoster: IdentityFile
  let dialer: IdentityFile
  let before: {
    host: Awaited<ReturnType<typeof connectAs>>
    dial: Awaited<ReturnType<typeof connectAs>>
  }

  // Which certificate each control stream was opened with (the call goes through unchanged).
  const requests = vi.spyOn(https, 'request')
  const eventStreams = () =>
    requests.mock.calls
      .filter(([url]) => url instanceof URL && url.pathname === '/v1/router/events')
      .map(([, options]) => options.cert)
  let changeListeners: number

  beforeAll(async () => {
    bed = await startRouterBed({ settings, log, onRenewed: (id) => void renewed.push(id) })
    changeListeners = bed.c.ctx.events.listenerCount('change')
    first = certFingerprint(bed.router.identity.current)
    await addService(bed, 'svc')
    hoster = await bed.endpoint('hoster', ['svc-host'])
    dialer = await bed.endpoint('dialer', ['svc-dial'])
    before = { host: await connectAs(bed, hoster), dial: await connectAs(bed, dialer) }
    servedFirst = before.dial.socket.getPeerX509Certificate()!.fingerprint256
    hostEcho(before.host.channel)
    expect(await bindOn(before.host.channel, hoster, 'svc', 1)).toBe('bound')
    expect(await roundTrip(before.dial.channel, dialer, 'svc', 'before')).toBe('before')
  })
  afterAll(async () => {
    requests.mockRestore()
    before?.host.channel.close()
    before?.dial.channel.close()
    await bed?.stop()
  })

  it('swaps the new certificate into the edge; connections made before keep theirs, and can still bind and dial', async () => {
    await until(() => renewed.length >= 1, 15_000, 'first renewal')
    const now = certFingerprint(renewed[0]!)
    expect(now).not.toBe(first)
    expect(certFingerprint(bed.router.identity.current)).toBe(now)
    // A new endpoint connection gets the renewed certificate proved...
    const fresh = await tlsLink(bed, dialer)
    expect(routerFingerprint(fresh)).toBe(now)
    fresh.destroy()
    // The edge serves a new opaque certificate (made just after the renewal), naming nothing.
    let serving = await served(bed)
    for (let i = 0; i < 100 && serving.fingerprint256 === servedFirst; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      serving = await served(bed)
    }
    expect(serving.fingerprint256).not.toBe(servedFirst)
    expect(serving.subject).toMatch(/^CN=[0-9a-f]{16}$/)
    // ...and the edge is still TLS 1.3 only (setSecureContext forgets what it is not given).
    const old = await new Promise<string>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: bed.router.port,
        cert: dialer.certificate,
        key: dialer.key,
        maxVersion: 'TLSv1.2',
        rejectUnauthorized: false,
      })
      s.once('secureConnect', () => resolve(`connected with ${s.getProtocol()}`))
      s.once('error', () => resolve('refused'))
    })
    expect(old).toBe('refused')
    // The sessions opened before the renewal run on, on the certificate they were made with.
    expect(routerFingerprint(before.dial.socket)).toBe(first)
    expect(before.dial.channel.closed).toBe(false)
    expect(await bindOn(before.host.channel, hoster, 'svc', 2)).toBe('bound')
    expect(await roundTrip(before.dial.channel, dialer, 'svc', 'after')).toBe('after')
  })

  it('moves its control stream to the new certificate, and lets the old stream go once the new one is up', async () => {
    await until(() => renewed.length >= 1, 15_000, 'first renewal')
    await until(
      () => eventStreams().includes(renewed[0]!.certificate),
      5_000,
      'a control stream with the renewed certificate',
    )
    // One stream per router at the controller again: the old one was closed, not leaked.
    await until(
      () => bed.c.ctx.events.listenerCount('change') === changeListeners,
      5_000,
      'the old control stream closed',
    )
    expect(lines.filter((l) => l.msg === 'control channel down')).toEqual([])
  })

  it('closes a session whose endpoint certificate expired, with ZH_CERT_EXPIRED', async () => {
    const expiry = Date.parse(new X509Certificate(dialer.certificate).validTo)
    const [host, dial] = await within(
      Promise.all([before.host.closed, before.dial.closed]),
      expiry + 5_000 - Date.now(),
      'sessions closed',
    )
    expect(dial.code).toBe('ZH_CERT_EXPIRED')
    expect(host.code).toBe('ZH_CERT_EXPIRED')
    // Not before its time (the sweep runs every second).
    expect(dial.at).toBeGreaterThanOrEqual(expiry - 50)
    expect(dial.at).toBeLessThan(expiry + 3_000)
    const ids = [...bed.router.registry.sessions].map((x) => x.identityId)
    expect(ids).not.toContain(dialer.id)
    expect(ids).not.toContain(hoster.id)
  })

  it('renews again and again, saving each renewal and logging it without the key, and keeps relaying', async () => {
    await until(() => renewed.length >= 2, 15_000, 'second renewal')
    const [one, two] = renewed as [IdentityFile, IdentityFile]
    expect(certFingerprint(two)).not.toBe(certFingerprint(one))
    expect(two.key).not.toBe(one.key)
    expect(two.id).toBe(one.id)
    // Endpoints enrolled since (the first ones expired) connect and relay over the new one.
    const hoster2 = await bed.endpoint('hoster2', ['svc-host'])
    const dialer2 = await bed.endpoint('dialer2', ['svc-dial'])
    const host = await connectAs(bed, hoster2)
    const dial = await connectAs(bed, dialer2)
    expect(routerFingerprint(dial.socket)).toBe(certFingerprint(bed.router.identity.current))
    hostEcho(host.channel)
    expect(await bindOn(host.channel, hoster2, 'svc', 1)).toBe('bound')
    expect(await roundTrip(dial.channel, dialer2, 'svc', 'still relaying')).toBe('still relaying')
    host.channel.close()
    dial.channel.close()

    const logged = lines.filter((l) => l.msg === 'router certificate renewed')
    expect(logged.length).toBeGreaterThanOrEqual(2)
    for (const l of logged) {
      expect(l.serial).toMatch(/^[0-9a-f]+$/)
      expect(Date.parse(l.notAfter as string)).toBeGreaterThan(Date.now())
    }
    const text = lines.map((l) => JSON.stringify(l)).join('\n')
    expect(text).not.toContain('PRIVATE KEY')
    for (const id of renewed) expect(text).not.toContain(id.key.split('\n')[1]!)
  })

  it('reports the seconds until its certificate expires, read at every scrape', async () => {
    const a = await expiryGauge(bed)
    expect(a).toBeGreaterThan(0)
    expect(a).toBeLessThanOrEqual(CERT_TTL)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    const b = await expiryGauge(bed)
    expect(b).toBeLessThan(a!)
    await bed.router.renew()
    const c = await expiryGauge(bed)
    expect(c).toBeGreaterThan(b!)
    const left = (bed.router.identity.certificate.notAfter.getTime() - Date.now()) / 1000
    expect(Math.abs(c! - left)).toBeLessThan(1)
    expect(await bed.router.metrics.registry.metrics()).toMatch(
      /^zh_certificate_expiry_seconds\{kind="router",name="r1"\} \d/m,
    )
  })
})

describe('router certificate expiry', { timeout: 60_000 }, () => {
  it('warns at each failed renewal, then stops with ZH_CERT_EXPIRED and the commands to enroll again', async () => {
    const { log, lines } = capturingLog()
    const bed = await startRouterBed({ settings, log })
    const expiry = bed.router.identity.certificate.notAfter.getTime()
    // The controller goes away for good: every renewal fails until the certificate is gone.
    await bed.c.stop()
    const fatal = await bed.router.fatal
    expect(fatal.code).toBe('ZH_CERT_EXPIRED')
    expect(fatal.message).toContain('zerohook router token r1')
    expect(fatal.message).toContain('zerohook router run --dir DIR --enroll')
    expect(Date.now()).toBeGreaterThanOrEqual(expiry - 50)
    const failures = lines.filter((l) => l.msg === 'router certificate renewal failed; retrying')
    expect(failures.length).toBeGreaterThanOrEqual(2)
    for (const f of failures) {
      expect(f.level).toBe(40)
      expect(f.code).toBe('ZH_CERT_RENEWAL_FAILED')
      expect(typeof f.err).toBe('string')
    }
    const error = lines.find((l) => l.msg === 'router certificate expired')
    expect(error?.code).toBe('ZH_CERT_EXPIRED')
    expect(error?.level).toBe(50)
    // Stopped: its port no longer answers.
    const refused = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: bed.router.port })
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
      s.once('secureConnect', () => resolve('connected'))
    })
    expect(refused).toBe('ECONNREFUSED')
    await bed.router.close()
  })
})
