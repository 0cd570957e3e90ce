import type tls from 'node:tls'
import { ZhError, isZhError } from '../errors.js'
import { channelBinding, readChannelProof, verifyChannelProof } from '../pki/channel-proof.js'
import type { VerifiedCertificate } from '../pki/verify.js'

/** How long a router has, once the handshake is done, to prove who it is, ms. */
export const PROOF_TIMEOUT_MS = 10_000

/**
 * Waits for the router at the other end of a TLS connection to prove it is router `routerId`
 * of our network: its serving certificate names nothing (see `pki/opaque.ts`), so the first
 * thing it sends is its router certificate and a signature with that certificate's key over
 * this connection's exported keying material. Resolves with the verified router certificate;
 * what came after the proof is kept for the next reader, and the socket flows again once one
 * listens for 'data' (as a fresh stream does).
 *
 * Rejects with ZH_ROUTER_PROOF_INVALID for a proof that does not verify (another CA, network
 * or router; a signature over another connection, as a relay would forward), and with
 * ZH_ROUTER_UNPROVEN when the connection closes or `timeoutMs` passes without one: the router
 * refused our certificate (it says nothing to whom it refuses), or it is not a router of ours.
 *
 * @example
 * ```ts
 * socket.once('secureConnect', async () => {
 *   const router = await awaitRouterProof(socket, identity, routerId)
 *   const channel = createChannel(socket, { role: 'initiator' })
 * })
 * ```
 */
export function awaitRouterProof(
  socket: tls.TLSSocket,
  identity: { ca: string; network: string },
  routerId: string | undefined,
  timeoutMs = PROOF_TIMEOUT_MS,
): Promise<VerifiedCertificate> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0)
    const done = (err: ZhError | undefined, cert?: VerifiedCertificate) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      socket.off('end', onClose)
      if (err) reject(err)
      else resolve(cert!)
    }
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      let frame: ReturnType<typeof readChannelProof>
      let cert: VerifiedCertificate
      try {
        frame = readChannelProof(buffered)
        if (!frame) return
        cert = verifyChannelProof(channelBinding(socket), frame.body, identity.ca, {
          network: identity.network,
          kind: 'router',
          id: routerId,
          eku: 'serverAuth',
        })
      } catch (err) {
        return done(
          isZhError(err) ? err : new ZhError('ZH_ROUTER_PROOF_INVALID', (err as Error).message),
        )
      }
      // What came after the proof goes back, for the reader that comes next; as on a fresh
      // stream, the socket flows again once that reader listens for 'data'.
      socket.pause()
      if (frame.rest.length > 0) socket.unshift(frame.rest)
      socket.on('newListener', resumeOnReader)
      done(undefined, cert)
    }
    const resumeOnReader = (event: string | symbol) => {
      if (event !== 'data') return
      socket.off('newListener', resumeOnReader)
      socket.resume()
    }
    const onClose = () =>
      done(new ZhError('ZH_ROUTER_UNPROVEN', 'the router closed the connection without a proof'))
    const timer = setTimeout(
      () => done(new ZhError('ZH_ROUTER_UNPROVEN', `no proof within ${timeoutMs} ms`)),
      timeoutMs,
    )
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('end', onClose)
  })
}
