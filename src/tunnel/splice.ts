import type { Duplex } from 'node:stream'

/** What crossed a spliced pair, once both ends are closed. */
export interface Spliced {
  /** Bytes from the local client to the remote end. */
  bytesIn: number
  /** Bytes from the remote end to the local client. */
  bytesOut: number
}

/**
 * Joins a local connection and a remote one: raw bytes both ways with backpressure and
 * half-close; an error on either side tears both down. Resolves once the remote end is closed.
 *
 * @example
 * ```ts
 * const { bytesIn, bytesOut } = await splice(client, await dial('jenkins-webhook'))
 * ```
 */
export function splice(client: Duplex, remote: Duplex): Promise<Spliced> {
  const counts = { bytesIn: 0, bytesOut: 0 }
  client.on('data', (c: Buffer) => (counts.bytesIn += c.length))
  remote.on('data', (c: Buffer) => (counts.bytesOut += c.length))
  const teardown = () => {
    client.destroy()
    remote.destroy()
  }
  remote.on('error', teardown)
  client.on('error', teardown)
  // When one side is gone for good, nothing more can flow: close the other once what it was
  // already given is flushed (or at once, when that side never ended cleanly).
  client.once('close', () => closeAfterFlush(remote))
  remote.once('close', () => closeAfterFlush(client))
  const closed = new Promise<Spliced>((resolve) => remote.once('close', () => resolve(counts)))
  // pipe() ends the other side's writable when one side ends (half-close).
  client.pipe(remote)
  remote.pipe(client)
  client.resume()
  return closed
}

function closeAfterFlush(socket: Duplex): void {
  if (socket.destroyed) return
  if (!socket.writableEnded) socket.destroy()
  else if (socket.writableFinished) socket.destroy()
  else socket.once('finish', () => socket.destroy())
}
