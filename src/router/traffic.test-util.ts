import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { createServicePolicy } from '../controller/ops/policies.js'
import { createService } from '../controller/ops/services.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  type Channel,
  type Circuit,
  type PendingCircuit,
} from '../wire/index.js'
import { decodeRouterMessage, encodeOverlay, type RouterMessage } from '../wire/overlay.js'
import { decodeReason } from '../wire/payloads.js'
import { grantsOf, rawLink, type RouterBed } from './router.test-util.js'

/** Polls `cond` every 5 ms until it holds; throws after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`)
    await sleep(5)
  }
}

/** Resolves as `p` does, or throws after `ms` (so a test fails fast instead of timing out). */
export function within<T>(p: Promise<T>, ms: number, what = 'promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not settled within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** A service with its bind and dial policies: hosts carry `<name>-host`, dialers `<name>-dial`. */
export async function addService(bed: RouterBed, name: string): Promise<void> {
  await createService(bed.c.ctx, { name, attributes: [name] })
  const common = { serviceRoles: [`#${name}`] }
  await createServicePolicy(bed.c.ctx, {
    name: `${name}-bind`,
    type: 'bind',
    identityRoles: [`#${name}-host`],
    ...common,
  })
  await createServicePolicy(bed.c.ctx, {
    name: `${name}-dial`,
    type: 'dial',
    identityRoles: [`#${name}-dial`],
    ...common,
  })
}

/** The identity's current grant token for `action` on `service`. */
export async function grantFor(
  identity: IdentityFile,
  service: string,
  action: 'dial' | 'bind',
): Promise<string> {
  const grant = (await grantsOf(identity)).grants.find(
    (g) => g.action === action && g.service.name === service,
  )
  if (!grant) throw new Error(`${identity.name} has no ${action} grant for ${service}`)
  return grant.token
}

/**
 * Connects `identity` and binds `service`; `onCircuit` gets each termination, accepted. Resolves
 * with the hosting channel once the router answered `bound`.
 */
export async function host(
  bed: RouterBed,
  identity: IdentityFile,
  service: string,
  onCircuit: (circuit: Circuit) => void,
): Promise<Channel> {
  const channel = await rawLink(bed, identity)
  channel.on('circuit', (pending: PendingCircuit) => {
    const circuit = pending.accept()
    circuit.on('error', () => undefined)
    onCircuit(circuit)
  })
  const answer = new Promise<RouterMessage>((resolve) =>
    channel.once('message', (m) => resolve(decodeRouterMessage(m))),
  )
  channel.send(
    encodeOverlay({ t: 'bind', id: 1, service, grant: await grantFor(identity, service, 'bind') }),
  )
  const reply = await answer
  if (reply.t !== 'bound') throw new Error(`bind ${service}: ${JSON.stringify(reply)}`)
  return channel
}

/** Binds `service` on an open hosting channel as binding `id`; resolves with the answer's kind. */
export async function bindOn(
  channel: Channel,
  identity: IdentityFile,
  service: string,
  id: number,
): Promise<RouterMessage['t']> {
  const grant = await grantFor(identity, service, 'bind')
  const answer = new Promise<RouterMessage>((resolve) => {
    const onMessage = (m: Uint8Array) => {
      const message = decodeRouterMessage(m)
      if (message.t === 'unbound' || message.t === 'draining' || message.id !== id) return
      channel.off('message', onMessage)
      resolve(message)
    }
    channel.on('message', onMessage)
  })
  channel.send(encodeOverlay({ t: 'bind', id, service, grant }))
  return (await answer).t
}

/** Dials `service` on an open channel, sends `text`, and resolves with what came back. */
export async function roundTrip(
  channel: Channel,
  identity: IdentityFile,
  service: string,
  text: string,
): Promise<string> {
  const circuit = await dial(channel, identity, service)
  const chunks: Buffer[] = []
  circuit.on('data', (d: Buffer) => chunks.push(d))
  circuit.end(text)
  await once(circuit, 'end')
  return Buffer.concat(chunks).toString()
}

/** Echoes every byte of a termination back (and its half-close). */
export const echo = (circuit: Circuit): void => void circuit.pipe(circuit)

/** Dials `service` on an open channel with `identity`'s grant. */
export async function dial(
  channel: Channel,
  identity: IdentityFile,
  service: string,
): Promise<Circuit> {
  const meta = encodeOverlay({ service, grant: await grantFor(identity, service, 'dial') })
  const { circuit } = await channel.open(meta)
  return circuit
}

/** What a {@link Flow} carried. */
export interface FlowResult {
  sent: number
  echoed: number
  intact: boolean
  /** Longest gap between two echoed chunks while the flow ran, ms. */
  maxStallMs: number
}

/**
 * A legitimate stream through an echo service that abuse must not disturb: fresh random bytes
 * written at up to `bytesPerSecond`, the echo hashed as it comes back, gaps between echoed
 * chunks measured.
 */
export class Flow {
  sent = 0
  echoed = 0
  private maxStallMs = 0
  private lastEcho = performance.now()
  private stopping = false
  private readonly out = createHash('sha256')
  private readonly back = createHash('sha256')
  private readonly writing: Promise<void>
  private readonly ended: Promise<void>

  constructor(
    private readonly circuit: Circuit,
    private readonly bytesPerSecond = 16 * 1024 * 1024,
  ) {
    circuit.on('data', (chunk: Buffer) => {
      const now = performance.now()
      this.maxStallMs = Math.max(this.maxStallMs, now - this.lastEcho)
      this.lastEcho = now
      this.back.update(chunk)
      this.echoed += chunk.length
    })
    this.ended = new Promise((resolve, reject) => {
      circuit.once('end', resolve)
      circuit.once('error', reject)
    })
    this.writing = this.write()
    // Awaited by finish(); a failure before then must not surface as an unhandled rejection.
    this.ended.catch(() => undefined)
    this.writing.catch(() => undefined)
  }

  /** Resolves once `bytes` more have come back (throws after `ms`). */
  async advance(bytes: number, ms = 5000): Promise<void> {
    const target = this.echoed + bytes
    await until(() => this.echoed >= target, ms, `flow echo of ${bytes} more bytes`)
  }

  /** Stops writing, half-closes, and waits for the echo to end. */
  async finish(): Promise<FlowResult> {
    this.stopping = true
    await this.writing
    const stalled = this.maxStallMs
    this.circuit.end()
    await this.ended
    const intact = this.echoed === this.sent && this.out.digest('hex') === this.back.digest('hex')
    return { sent: this.sent, echoed: this.echoed, intact, maxStallMs: stalled }
  }

  private async write(): Promise<void> {
    const started = performance.now()
    while (!this.stopping && !this.circuit.destroyed) {
      const chunk = randomBytes(16 * 1024 + Math.floor(Math.random() * 48 * 1024))
      this.out.update(chunk)
      this.sent += chunk.length
      if (!this.circuit.write(chunk)) await once(this.circuit, 'drain')
      const ahead = this.sent / this.bytesPerSecond - (performance.now() - started) / 1000
      if (ahead > 0) await sleep(ahead * 1000)
      // Only gaps while echo is owed count as stalls.
      if (this.echoed >= this.sent - chunk.length) this.lastEcho = performance.now()
    }
  }
}

/**
 * A hand-driven endpoint on an authenticated TLS connection: writes any bytes and records what
 * the router sends back (GOAWAY code, RESET codes, messages, PONGs).
 */
export class Probe {
  goaway: string | undefined
  readonly resets = new Map<number, string>()
  readonly accepted = new Set<number>()
  readonly messages: RouterMessage[] = []
  readonly pongs: Buffer[] = []
  bytesIn = 0
  readonly closed: Promise<void>
  private readonly decoder = new FrameDecoder()
  private readonly waiters = new Set<() => void>()

  constructor(readonly socket: tls.TLSSocket) {
    socket.on('error', () => undefined)
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    void this.closed.then(() => this.wake())
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      for (const f of this.decoder.push(chunk)) {
        if (f.type === FrameType.GOAWAY) this.goaway = decodeReason(f.payload, true).code
        else if (f.type === FrameType.RESET)
          this.resets.set(f.circuit, decodeReason(f.payload).code)
        else if (f.type === FrameType.ACCEPT) this.accepted.add(f.circuit)
        else if (f.type === FrameType.PONG) this.pongs.push(f.payload)
        else if (f.type === FrameType.MESSAGE) this.messages.push(decodeRouterMessage(f.payload))
      }
      this.wake()
    })
  }

  /** Resolves true once `cond` holds (checked as frames arrive), false after `ms` or on close. */
  waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const check = () => {
        if (!cond() && !this.socket.destroyed) return
        done(cond())
      }
      const done = (result: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(result)
      }
      const timer = setTimeout(() => done(cond()), ms)
      this.waiters.add(check)
    })
  }

  private wake(): void {
    for (const check of [...this.waiters]) check()
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /**
   * Sends a PING and waits for its PONG: 'pong' proves the router read everything before it and
   * kept the connection; 'closed' that it closed it; 'silent' that it is still waiting for bytes
   * (a frame cut short).
   */
  async settle(ms = 300): Promise<'pong' | 'closed' | 'silent'> {
    const token = randomBytes(8)
    this.write(encodeFrame({ type: FrameType.PING, circuit: 0, payload: token }))
    if (await this.waitFor(() => this.pongs.some((p) => p.equals(token)), ms)) return 'pong'
    return this.socket.destroyed ? 'closed' : 'silent'
  }
}
