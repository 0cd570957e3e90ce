import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach } from 'vitest'
import type { ZhError } from '../errors.js'
import { createChannel, type Channel } from './channel.js'
import type { Circuit } from './circuit.js'
import type { ChannelOptions } from './options.js'
import { RawPeer } from './raw-peer.test-util.js'

/** Two connected duplexes: the end that connected and the end that accepted. */
export interface DuplexPair {
  initiator: Duplex
  acceptor: Duplex
}

/** Channel options a test overrides (the role is set by the fixture). */
export type Overrides = Partial<Omit<ChannelOptions, 'role'>>

/** Sizes for tests. */
export const KiB = 1024
export const MiB = 1024 * KiB

/**
 * Everything a readable yields, once it ends. Events, not `for await`: ending an async iteration
 * destroys a duplex whose writable side is still in use.
 */
export function collect(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

/** SHA-256 hex of bytes. */
export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Polls `cond` until true (every 5 ms, up to `ms`). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** Resolves with the channel's close reason. */
export function closeOf(channel: Channel): Promise<ZhError | undefined> {
  return once(channel, 'close').then(([err]) => err as ZhError | undefined)
}

/** Writes `data` in random-sized pieces (1 byte to 100 KiB), respecting backpressure, then ends. */
export async function writeInPieces(stream: Duplex, data: Buffer): Promise<void> {
  let at = 0
  while (at < data.length) {
    const size = 1 + Math.floor(Math.random() ** 3 * 100 * KiB)
    if (!stream.write(data.subarray(at, at + size))) await once(stream, 'drain')
    at += size
  }
  stream.end()
}

/**
 * Per-test channels over fresh duplexes from `connect`, all closed and destroyed after each test.
 * Call inside a `describe`.
 */
export function channelFixture(connect: () => Promise<DuplexPair>) {
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
  })

  async function pairOf(): Promise<DuplexPair> {
    const pair = await connect()
    cleanups.push(() => {
      pair.initiator.destroy()
      pair.acceptor.destroy()
    })
    return pair
  }

  async function channels(ini: Overrides = {}, acc: Overrides = {}) {
    const pair = await pairOf()
    const initiator = createChannel(pair.initiator, { role: 'initiator', keepaliveMs: 0, ...ini })
    const acceptor = createChannel(pair.acceptor, { role: 'acceptor', keepaliveMs: 0, ...acc })
    cleanups.unshift(() => {
      initiator.close()
      acceptor.close()
    })
    return { initiator, acceptor }
  }

  /** A channel (initiator) facing a hand-driven raw peer (acceptor). */
  async function againstRaw(ini: Overrides = {}) {
    const pair = await pairOf()
    const channel = createChannel(pair.initiator, { role: 'initiator', keepaliveMs: 0, ...ini })
    const closed = closeOf(channel)
    cleanups.unshift(() => channel.close())
    return { channel, closed, peer: new RawPeer(pair.acceptor) }
  }

  /** Accepts every circuit on `channel`, collecting them. */
  function acceptAll(channel: Channel): Circuit[] {
    const circuits: Circuit[] = []
    channel.on('circuit', (pending) => circuits.push(pending.accept(Buffer.from('ok'))))
    return circuits
  }

  return { pairOf, channels, againstRaw, acceptAll }
}

/** What {@link channelFixture} gives a test. */
export type ChannelFixture = ReturnType<typeof channelFixture>
