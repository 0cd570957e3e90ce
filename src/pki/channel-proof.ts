import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto'
import type tls from 'node:tls'
import { ZhError } from '../errors.js'
import { verifyCertificate, type VerifiedCertificate, type VerifyOptions } from './verify.js'

/**
 * The TLS exporter label (RFC 8446 §7.5) of a channel proof: the keying material it names is
 * unique to one TLS connection, and only its two ends know it.
 */
export const PROOF_LABEL = 'EXPORTER-zerohook-channel-proof'
const BINDING_LENGTH = 32
/** Signed before the binding, so a proof signature can never be mistaken for another. */
const CONTEXT = Buffer.from('zerohook channel proof v1\0')
const VERSION = 1
/** Most bytes a proof frame may announce: a certificate and a signature, with room to spare. */
export const MAX_PROOF = 16 * 1024

/**
 * The keying material a proof over `socket` signs: exported from its TLS 1.3 handshake, so
 * a proof made on one connection says nothing on another (a relay in the middle has two).
 */
export function channelBinding(socket: tls.TLSSocket): Buffer {
  return socket.exportKeyingMaterial(BINDING_LENGTH, PROOF_LABEL, Buffer.alloc(0))
}

/** A parsed private key and certificate, by their PEM: a router signs with one pair at a time. */
let signer: { keyPem: string; certPem: string; key: KeyObject; der: Buffer } | undefined

/**
 * A proof that the holder of `identity`'s key is at this end of the TLS connection whose
 * `binding` it signs, as one frame: `u16 length`, then `u8 version`, `u16 certificate length`,
 * the certificate (DER) and the signature (ECDSA-SHA256 or Ed25519, as the key is) over
 * `CONTEXT || binding`. The connection itself may have been made with any certificate.
 *
 * @example
 * ```ts
 * socket.write(signChannelProof(channelBinding(socket), identity))
 * ```
 */
export function signChannelProof(
  binding: Buffer,
  identity: { certificate: string; key: string },
): Buffer {
  if (signer?.keyPem !== identity.key || signer.certPem !== identity.certificate) {
    signer = {
      keyPem: identity.key,
      certPem: identity.certificate,
      key: createPrivateKey(identity.key),
      der: new X509Certificate(identity.certificate).raw,
    }
  }
  const { key, der } = signer
  const signature = sign(digestOf(key), Buffer.concat([CONTEXT, binding]), key)
  const frame = Buffer.alloc(2 + 1 + 2 + der.length + signature.length)
  frame.writeUInt16BE(frame.length - 2, 0)
  frame.writeUInt8(VERSION, 2)
  frame.writeUInt16BE(der.length, 3)
  der.copy(frame, 5)
  signature.copy(frame, 5 + der.length)
  return frame
}

/**
 * The first proof frame of `bytes`: its body and what follows it, or `undefined` while the
 * frame is incomplete. Throws ZH_ROUTER_PROOF_INVALID for a frame longer than {@link MAX_PROOF}.
 */
export function readChannelProof(bytes: Buffer): { body: Buffer; rest: Buffer } | undefined {
  if (bytes.length < 2) return undefined
  const length = bytes.readUInt16BE(0)
  if (length > MAX_PROOF) throw new ZhError('ZH_ROUTER_PROOF_INVALID', `a proof of ${length} bytes`)
  if (bytes.length < 2 + length) return undefined
  return { body: bytes.subarray(2, 2 + length), rest: bytes.subarray(2 + length) }
}

/**
 * Verifies a proof body (see {@link signChannelProof}) against this connection's `binding`:
 * the certificate chains to `caPem` and names the principal `expect` asks for, and its key
 * signed this binding. Returns the verified certificate; throws ZH_ROUTER_PROOF_INVALID
 * otherwise. Revocation is the caller's to check.
 */
export function verifyChannelProof(
  binding: Buffer,
  body: Buffer,
  caPem: string,
  expect: VerifyOptions,
): VerifiedCertificate {
  if (body.length < 3 || body[0] !== VERSION)
    throw new ZhError('ZH_ROUTER_PROOF_INVALID', 'not a proof of a known version')
  const certLength = body.readUInt16BE(1)
  if (body.length <= 3 + certLength)
    throw new ZhError('ZH_ROUTER_PROOF_INVALID', 'a truncated proof')
  const der = body.subarray(3, 3 + certLength)
  const signature = body.subarray(3 + certLength)
  let cert: VerifiedCertificate
  let key: KeyObject
  try {
    const x509 = new X509Certificate(der)
    cert = verifyCertificate(x509, caPem, expect)
    key = x509.publicKey
  } catch (err) {
    throw new ZhError('ZH_ROUTER_PROOF_INVALID', (err as Error).message, { cause: err })
  }
  if (!verify(digestOf(key), Buffer.concat([CONTEXT, binding]), key, signature))
    throw new ZhError('ZH_ROUTER_PROOF_INVALID', 'the signature is not over this connection')
  return cert
}

/** The digest a key signs with: SHA-256 for ECDSA; none for Ed25519, which hashes itself. */
function digestOf(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' ? null : 'sha256'
}
