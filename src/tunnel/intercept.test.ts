import net from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { ZhError } from '../errors.js'
import { interceptTunnel, type InterceptTunnel } from './intercept.js'

// The far end of each "dial": a real TCP server that answers only once the client half-closed,
// so the test proves end-of-stream travels through the tunnel in both directions.
async function startUpperServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('end', () => socket.end(Buffer.concat(chunks).toString().toUpperCase()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  }
}

function dialTcp(port: number) {
  return (service: string): Promise<Duplex> => {
    if (service !== 'allowed') return Promise.reject(new ZhError('ZH_SDK_NO_GRANT', service))
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s))
      s.once('error', reject)
    })
  }
}

// Writes, half-closes, and reads everything until the other side ends.
function exchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(payload))
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('end', () => resolve(Buffer.concat(chunks)))
    s.on('error', reject)
    s.on('close', () => resolve(Buffer.concat(chunks)))
  })
}

let upper: Awaited<ReturnType<typeof startUpperServer>> | undefined
let tunnel: InterceptTunnel | undefined
afterEach(async () => {
  await tunnel?.close()
  await upper?.close()
  tunnel = upper = undefined
})

describe('interceptTunnel', () => {
  it('pipes bytes both ways with half-close, large payloads included', async () => {
    upper = await startUpperServer()
    const lines: string[] = []
    const log = { info: (_o: object, m: string) => lines.push(m), warn: () => undefined }
    tunnel = await interceptTunnel(dialTcp(upper.port), {
      service: 'allowed',
      host: '127.0.0.1',
      port: 0,
      log,
    })
    expect(tunnel.address.host).toBe('127.0.0.1')
    expect(tunnel.address.port).toBeGreaterThan(0)
    expect((await exchange(tunnel.address.port, Buffer.from('hello'))).toString()).toBe('HELLO')
    const big = Buffer.alloc(3 * 1024 * 1024, 'a')
    const back = await exchange(tunnel.address.port, big)
    expect(back.length).toBe(big.length)
    expect(back.equals(Buffer.alloc(big.length, 'A'))).toBe(true)
  })

  it('closes a connection whose dial is refused, logs the code, and keeps serving', async () => {
    upper = await startUpperServer()
    const warnings: Record<string, unknown>[] = []
    const log = {
      info: () => undefined,
      warn: (o: object) => warnings.push(o as Record<string, unknown>),
    }
    const refused = await interceptTunnel(dialTcp(upper.port), {
      service: 'forbidden',
      host: '127.0.0.1',
      port: 0,
      log,
    })
    try {
      expect((await exchange(refused.address.port, Buffer.from('x'))).length).toBe(0)
      expect((await exchange(refused.address.port, Buffer.from('y'))).length).toBe(0)
      expect(warnings.map((w) => w.code)).toEqual(['ZH_SDK_NO_GRANT', 'ZH_SDK_NO_GRANT'])
    } finally {
      await refused.close()
    }
  })

  it('close() stops listening and ends open connections after the grace', async () => {
    upper = await startUpperServer()
    tunnel = await interceptTunnel(dialTcp(upper.port), {
      service: 'allowed',
      host: '127.0.0.1',
      port: 0,
      graceMs: 100,
    })
    const { port } = tunnel.address
    const open = net.connect({ port, host: '127.0.0.1' })
    await new Promise((r) => open.once('connect', r))
    while (tunnel.connections() === 0) await new Promise((r) => setTimeout(r, 10))
    const closed = new Promise((r) => open.once('close', r))
    open.on('error', () => undefined)
    await tunnel.close()
    await closed
    const err = await new Promise<string>((r) => {
      const s = net.connect({ port, host: '127.0.0.1' })
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'))
      s.once('connect', () => r('connected'))
    })
    expect(err).toBe('ECONNREFUSED')
    tunnel = undefined
  })
})
