import { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import type { OverlayBed } from './overlay-bed.js'
import { rate, report } from './report.js'

/** Two JS streams joined back to back, as a circuit gives each end. */
function streamPair(): [Duplex, Duplex] {
  const ends: Duplex[] = []
  const end = (i: number) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        ends[1 - i]!.push(chunk)
        cb()
      },
      final(cb) {
        ends[1 - i]!.push(null)
        cb()
      },
    })
  ends.push(end(0), end(1))
  return [ends[0]!, ends[1]!]
}

/**
 * The floor under a dial: the same TLS 1.3 mutual handshake with the same identity certificates
 * and the same checks Node makes (the chain to the network CA on both sides, the peer's
 * certificate as Node hands it to checkServerIdentity and as an X509Certificate), both ends in
 * this process over JS streams, with no router and none of zerohook's code.
 */
function bareHandshake(client: IdentityFile, server: IdentityFile): () => Promise<void> {
  const material = (i: IdentityFile) => ({ key: i.key, cert: i.certificate, ca: i.ca })
  const tlsServer = tls.createServer({
    ...material(server),
    minVersion: 'TLSv1.3',
    requestCert: true,
    rejectUnauthorized: true,
  })
  const context = tls.createSecureContext({ ...material(client), minVersion: 'TLSv1.3' })
  return async () => {
    const [a, b] = streamPair()
    const accepted = new Promise<tls.TLSSocket>((r) => tlsServer.once('secureConnection', r))
    tlsServer.emit('connection', b)
    const socket = tls.connect({
      socket: a,
      secureContext: context,
      checkServerIdentity: () => undefined,
    })
    await new Promise((r) => socket.once('secureConnect', r))
    const peer = await accepted
    socket.getPeerX509Certificate()
    peer.getPeerX509Certificate()
    socket.destroy()
    peer.destroy()
  }
}

/**
 * Dials per second (router grant check, relay setup, end-to-end TLS 1.3 mutual handshake, grant
 * exchange, switch to records) one at a time and eight in flight, the CPU each costs the bench
 * process (both ends) and the router, against the bare handshake above: what bounds the rate.
 */
export async function dials(bed: OverlayBed): Promise<void> {
  const listener = await bed.receiver.listen('bench')
  listener.on('connection', (s) => s.destroy())
  const dial = async () => {
    const s = await bed.sender.dial('bench')
    s.destroy()
  }
  const router = () => bed.router.cpuMs()
  await rate(100, 8, dial, router) // warm-up
  const one = await rate(300, 1, dial, router)
  const eight = await rate(600, 8, dial, router)
  listener.close()
  const bare = bareHandshake(bed.identities.sender, bed.identities.receiver)
  await rate(100, 1, bare, router) // warm-up
  const floor = await rate(600, 1, bare, router)

  const group = 'overlay'
  report(
    group,
    'dials/s, one at a time (grant check + relay + end-to-end handshake)',
    one.perSecond,
  )
  report(group, 'dials/s, 8 in flight (aim >= 400)', eight.perSecond)
  report(group, 'dial CPU ms, bench process (dialer and hoster), 8 in flight', eight.cpuMs)
  report(group, 'dial CPU ms, router process, 8 in flight', eight.otherCpuMs)
  report(
    group,
    'bare TLS 1.3 mutual handshakes/s, both ends in this process, no relay',
    floor.perSecond,
  )
  report(group, 'bare handshake CPU ms (both ends)', floor.cpuMs)
  report(
    group,
    'dial CPU share that is the bare handshake (bench process, 8 in flight)',
    floor.cpuMs / eight.cpuMs,
  )
  report(
    group,
    'most dials/s two cores allow at this CPU per dial (bench + router)',
    2000 / (eight.cpuMs + eight.otherCpuMs),
  )
}
