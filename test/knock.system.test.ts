import { once } from 'node:events'
import net from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Zerohook } from '../src/sdk/context.js'
import { stopAllDaemons } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

/** What the router sends to a raw TCP client that sends `bytes`, until it closes. */
async function answerTo(port: number, bytes: Buffer): Promise<{ received: number; ms: number }> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  const started = performance.now()
  let received = 0
  socket.on('data', (d: Buffer) => (received += d.length))
  socket.write(bytes)
  await once(socket, 'close')
  return { received, ms: performance.now() - started }
}

describe('zerohook router run --knock', { timeout: 60_000 }, () => {
  let network: TestNetwork
  let port: number
  const sdks: Zerohook[] = []

  beforeAll(async () => {
    network = await startNetwork(0)
    const router = await network.addRouter('router-1', ['--knock'])
    const listening = await router.waitFor((l) => l.msg === 'router listening')
    expect(listening.knock).toBe(true)
    port = listening.port as number
    await network.admin('service', 'create', 'echo', '--attr', 'echo')
    await network.policy('echo-bind', 'bind', '#hosts', '#echo')
    await network.policy('echo-dial', 'dial', '#dialers', '#echo')
  })
  afterAll(async () => {
    for (const z of sdks) await z.close()
    await stopAllDaemons()
    await network?.cleanup()
  })

  it('relays for endpoints, which knock with the key their enrollment gave them', async () => {
    const log = pino({ level: 'silent' })
    const hoster = await network.identity('hoster', ['hosts'])
    const dialer = await network.identity('dialer', ['dialers'])
    expect(dialer.identity.knock?.length).toBe(1)
    const host = await connect(hoster.identity, { log })
    const sender = await connect(dialer.identity, { log })
    sdks.push(host, sender)
    const listener = await host.listen('echo')
    listener.on('connection', (s: NodeJS.ReadWriteStream) => s.pipe(s))
    const socket = await sender.dial('echo')
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.end('through a silent router')
    await once(socket, 'end')
    expect(Buffer.concat(chunks).toString()).toBe('through a silent router')
  })

  it('sends not one byte to a TLS ClientHello or garbage, and closes it after its knock timeout', async () => {
    // The start of a TLS 1.3 ClientHello record, as any scanner sends first.
    const hello = Buffer.concat([
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xfa, 0x01]),
      Buffer.alloc(64),
    ])
    for (const bytes of [hello, Buffer.alloc(40, 0x41)]) {
      const { received, ms } = await answerTo(port, bytes)
      expect(received).toBe(0)
      expect(ms).toBeGreaterThanOrEqual(2_900)
    }
  })
})
