import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { ZhError, type ZhCode } from '../../errors.js'
import { encodeMessage } from './messages.js'
import { tlsFailure } from './tls.js'
import { DEFAULT_E2E_TIMEOUT_MS } from './types.js'

/** Failures this side decided after TLS came up: the peer is told the code before we close. */
const VERDICTS: ReadonlySet<ZhCode> = new Set<ZhCode>([
  'ZH_E2E_PEER_CERT_INVALID',
  'ZH_E2E_PEER_GRANT_INVALID',
  'ZH_E2E_WRONG_SERVICE',
  'ZH_E2E_PROTOCOL',
])

/** How long a refusal may take to flush before the circuit is torn down anyway. */
const REFUSE_GRACE_MS = 1_000

const noop = () => {}

/** One handshake in progress over one circuit. */
export interface Attempt {
  /** Watches the TLS socket once it exists: its errors and its close fail the attempt. */
  adopt(socket: TLSSocket): void
  /**
   * TLS is up: from now on the grant exchange reads the socket's end, close and errors itself,
   * in order behind the messages that arrived first (a refusal sent right before a close must
   * win over the close). Only the deadline and `fail` still end the attempt from outside.
   */
  secured(): void
  /** Fails the attempt from outside (a server-side TLS error, the host closing). */
  fail(err: unknown): void
  /** Settles only by rejecting, when the attempt fails from outside its body. */
  readonly failed: Promise<never>
}

/**
 * Runs a handshake body under one deadline and one failure path. Any failure (the body's, the
 * TLS socket's, the circuit closing, the deadline) destroys both the TLS socket and the circuit
 * and rejects with a `ZH_E2E_*` code; when this side refused the peer, it first sends the peer a
 * `refuse` message with the code. On success the listeners are removed and the socket is the
 * caller's.
 */
export async function runAttempt<T>(
  circuit: Duplex,
  timeoutMs: number | undefined,
  body: (attempt: Attempt) => Promise<T>,
): Promise<T> {
  let socket: TLSSocket | undefined
  let rejectFailed!: (err: ZhError) => void
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject))
  failed.catch(noop)
  const fail = (err: unknown) => rejectFailed(tlsFailure(err, socket))
  const onSocketError = (err: Error) => fail(err)
  // A close is acted on a turn late, so a more precise reason (the TLS layer's, a refusal the
  // peer sent right before closing) wins.
  const closed = (what: string) => () =>
    setImmediate(() => fail(new ZhError('ZH_E2E_HANDSHAKE_FAILED', `the ${what} closed`)))
  const onSocketClose = closed('channel')
  const onCircuitClose = closed('circuit')
  const timeout = timeoutMs ?? DEFAULT_E2E_TIMEOUT_MS
  const timer = setTimeout(
    () => fail(new ZhError('ZH_E2E_TIMEOUT', `no handshake within ${timeout} ms`)),
    timeout,
  )
  circuit.once('close', onCircuitClose)
  circuit.on('error', fail)

  const attempt: Attempt = {
    adopt(s) {
      socket = s
      s.on('error', onSocketError)
      s.once('close', onSocketClose)
    },
    secured() {
      unwatch()
      circuit.on('error', noop)
      socket?.on('error', noop)
    },
    fail,
    failed,
  }
  const unwatch = () => {
    circuit.off('close', onCircuitClose)
    circuit.off('error', fail)
    socket?.off('error', onSocketError)
    socket?.off('close', onSocketClose)
  }
  const detach = () => {
    clearTimeout(timer)
    unwatch()
    circuit.off('error', noop)
    socket?.off('error', noop)
  }

  try {
    const result = await Promise.race([body(attempt), failed])
    detach()
    return result
  } catch (err) {
    detach()
    const error = tlsFailure(err, socket)
    teardown(error, circuit, socket)
    throw error
  }
}

function teardown(err: ZhError, circuit: Duplex, socket: TLSSocket | undefined): void {
  circuit.on('error', noop)
  socket?.on('error', noop)
  const destroy = () => {
    socket?.destroy()
    // A zerohook circuit carries the error's code to the far end, so it must read right there:
    // our PEER_CERT_INVALID is the peer's own certificate problem, hence REFUSED with our reason.
    circuit.destroy(new ZhError('ZH_E2E_REFUSED', `the peer refused: ${err.code}`))
  }
  if (!socket || !VERDICTS.has(err.code) || !socket.writable) return destroy()
  // Tell the peer why, and close gracefully: the peer reads the refusal, then closes its side.
  const timer = setTimeout(destroy, REFUSE_GRACE_MS)
  timer.unref()
  circuit.once('close', () => {
    clearTimeout(timer)
    socket.destroy()
  })
  socket.end(encodeMessage({ type: 'refuse', code: err.code }))
}
