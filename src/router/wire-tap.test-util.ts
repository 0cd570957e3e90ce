import net from 'node:net'

/** What a server sent on one connection, as a scanner on the wire sees it. */
export interface Recording {
  /** Every byte the server sent. */
  fromServer: Buffer
  /**
   * The TLS records (content type and length) the server sent after the client's second flight:
   * in TLS 1.3, everything after the handshake (tickets, alerts, data).
   */
  afterHandshake: { type: number; length: number }[]
  /** How the server ended the connection: a FIN, a reset, or not at all (the client did). */
  close: 'fin' | 'reset' | 'client'
  /** From the client's second flight (or its first byte, if it sent no second) to the close, ms. */
  closeMs: number
  /** From the client's connection to the close, ms. */
  openMs: number
}

/** A TCP proxy in front of `port` that records each connection, one at a time. */
export interface WireTap {
  port: number
  /** The recording of the next connection through the tap, once the server or client closed it. */
  next(): Promise<Recording>
  close(): Promise<void>
}

/**
 * Starts a recording proxy on loopback in front of `target`. It splits what the server sent at
 * the client's second flight: in TLS 1.3 the server can send nothing after its first flight
 * until that flight (the client's certificate and Finished) reached it.
 */
export async function startWireTap(target: number): Promise<WireTap> {
  const waiting: ((r: Recording) => void)[] = []
  const done: Recording[] = []
  const finish = (r: Recording) => {
    const w = waiting.shift()
    if (w) w(r)
    else done.push(r)
  }
  const server = net.createServer((client) => {
    const opened = performance.now()
    const upstream = net.connect(target, '127.0.0.1')
    let fromClient = Buffer.alloc(0)
    let fromServer = Buffer.alloc(0)
    let split: number | undefined
    let flightAt: number | undefined
    let ended = false
    const end = (close: Recording['close']) => {
      if (ended) return
      ended = true
      const after = fromServer.subarray(split ?? fromServer.length)
      finish({
        fromServer,
        afterHandshake: records(after),
        close,
        closeMs: flightAt === undefined ? NaN : performance.now() - flightAt,
        openMs: performance.now() - opened,
      })
      client.destroy()
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk])
      flightAt ??= performance.now()
      // The first record is the ClientHello: anything past it is the second flight.
      if (split === undefined && fromClient.length >= 5) {
        const hello = 5 + fromClient.readUInt16BE(3)
        if (fromClient.length > hello) {
          split = fromServer.length
          flightAt = performance.now()
        }
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk])
      client.write(chunk)
    })
    upstream.on('end', () => end('fin'))
    upstream.on('error', (err: NodeJS.ErrnoException) =>
      end(err.code === 'ECONNRESET' ? 'reset' : 'client'),
    )
    client.on('error', () => end('client'))
    client.on('close', () => setTimeout(() => end('client'), 200).unref())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => {
      const r = done.shift()
      return r ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve))
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The record layout of TLS bytes: content type and length of each whole record. */
function records(bytes: Buffer): { type: number; length: number }[] {
  const out: { type: number; length: number }[] = []
  let at = 0
  while (at + 5 <= bytes.length) {
    const length = bytes.readUInt16BE(at + 3)
    out.push({ type: bytes[at]!, length })
    at += 5 + length
  }
  return out
}
