import { once } from 'node:events'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isZhError } from '../errors.js'
import { removeIdentity } from '../controller/ops/identities.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { createChannel } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import { impostors, type Credentials } from './impostors.test-util.js'
import { rawLink, startRouterBed, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, host } from './traffic.test-util.js'

/** What a client without a good certificate gets from the router. */
interface Attempt {
  /** The client finished its side of the handshake (TLS 1.3 does before the server checked). */
  secureConnect: boolean
  /** Bytes the router sent after the handshake (no proof of identity, no protocol): never any. */
  bytesIn: number
  /** Overlay messages answered: never any. */
  messages: number
  /** How a dial sent anyway ended: never with an answer of the router's. */
  dial: string
}

async function attempt(bed: RouterBed, credentials?: Credentials): Promise<Attempt> {
  // The router's serving certificate names nothing: take it, as a scanner would.
  const socket = tls.connect({
    host: '127.0.0.1',
    port: bed.router.port,
    ...credentials,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
  })
  socket.on('error', () => undefined)
  // Not events.once: it would reject on the 'error' (an alert, a reset) that comes first.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const secure = await new Promise<boolean>((resolve) => {
    socket.once('secureConnect', () => resolve(true))
    socket.once('close', () => resolve(false))
  })
  const result: Attempt = { secureConnect: secure, bytesIn: 0, messages: 0, dial: 'not sent' }
  if (secure) {
    // Try to use the connection as an endpoint would: a bind and a dial.
    const channel = createChannel(socket, { role: 'initiator' })
    channel.on('message', () => result.messages++)
    channel.send(encodeOverlay({ t: 'bind', id: 1, service: 'svc', grant: 'a.b.c' }))
    result.dial = await channel.open(encodeOverlay({ service: 'svc', grant: 'a.b.c' })).then(
      ({ circuit }) => {
        circuit.destroy()
        return 'opened'
      },
      (err: unknown) => (isZhError(err) ? err.code : String(err)),
    )
    result.bytesIn = channel.stats.bytesIn
  }
  await closed
  return result
}

async function refusals(bed: RouterBed): Promise<Record<string, number>> {
  const { values } = await bed.router.metrics.connectionsRefused.get()
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]))
}

/** The refusal counters once the one for `reason` moved past `before` (or after 2 s). */
async function refusalsAfter(
  bed: RouterBed,
  before: Record<string, number>,
  reason: string,
): Promise<Record<string, number>> {
  const deadline = Date.now() + 2000
  for (;;) {
    const now = await refusals(bed)
    if ((now[reason] ?? 0) > (before[reason] ?? 0) || Date.now() > deadline) return now
    await sleep(10)
  }
}

describe(
  'router edge: only valid, unrevoked endpoint certificates get in',
  { timeout: 60_000 },
  () => {
    let bed: RouterBed
    let dialer: IdentityFile

    beforeAll(async () => {
      bed = await startRouterBed()
      await addService(bed, 'svc')
      const hostId = await bed.endpoint('host', ['svc-host'])
      dialer = await bed.endpoint('dialer', ['svc-dial'])
      await host(bed, hostId, 'svc', echo)
    })
    afterAll(() => bed.stop())

    for (const [what, credentials, reason] of impostors(() => ({ bed, victim: dialer }))) {
      it(`refuses ${what} (${reason}) and stays up`, async () => {
        const before = await refusals(bed)
        const sessions = new Set(bed.router.registry.sessions)
        const result = await attempt(bed, await credentials())
        // Nothing of the protocol was ever spoken to it.
        expect(result.bytesIn).toBe(0)
        expect(result.messages).toBe(0)
        expect(['not sent', 'ZH_WIRE_CHANNEL_CLOSED']).toContain(result.dial)
        // The router counted it under its reason, and under no other.
        const after = await refusalsAfter(bed, before, reason)
        expect(after).toEqual({ ...before, [reason]: (before[reason] ?? 0) + 1 })
        expect([...bed.router.registry.sessions].filter((x) => !sessions.has(x))).toEqual([])
        // And it still serves a good endpoint.
        const channel = await rawLink(bed, dialer)
        const circuit = await dial(channel, dialer, 'svc')
        circuit.end('ok')
        circuit.on('data', () => undefined)
        await once(circuit, 'end')
        channel.close()
      })
    }

    it('refuses a revoked certificate (revoked) at the next connection', async () => {
      const doomed = await bed.endpoint('doomed', ['svc-dial'])
      const channel = await rawLink(bed, doomed)
      const circuit = await dial(channel, doomed, 'svc') // a working endpoint, until...
      circuit.on('error', () => undefined)
      const dropped = once(channel, 'close')
      await removeIdentity(bed.c.ctx, 'doomed')
      const [err] = (await dropped) as [{ code?: string } | undefined]
      expect(err?.code).toBe('ZH_ROUTER_CERT_REVOKED')

      const before = await refusals(bed)
      const result = await attempt(bed, { cert: doomed.certificate, key: doomed.key })
      expect(result.bytesIn).toBe(0)
      expect(result.messages).toBe(0)
      expect(['not sent', 'ZH_WIRE_CHANNEL_CLOSED']).toContain(result.dial)
      const after = await refusalsAfter(bed, before, 'revoked')
      expect(after).toEqual({ ...before, revoked: (before.revoked ?? 0) + 1 })
    })
  },
)
