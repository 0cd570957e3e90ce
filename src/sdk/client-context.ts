import tls from 'node:tls'
import type { IdentityFile } from './identity-file.js'

/** TLS material of an identity: its own certificate and key, and the network CA as the only trust. */
export function tlsMaterial(identity: IdentityFile): tls.SecureContextOptions {
  return {
    key: identity.key,
    cert: identity.certificate,
    ca: identity.ca,
    minVersion: 'TLSv1.3',
  }
}

interface Cached {
  key: string
  cert: string
  ca: string
  context: tls.SecureContext
}
const contexts = new WeakMap<IdentityFile, Cached>()

/**
 * The client secure context of an identity, built once (it costs a millisecond or more: the key
 * and both certificates are parsed) and rebuilt when its certificate, key or CA changes
 * (renewal). Its controller requests, its router links and its end-to-end dials all use it.
 */
export function clientContext(identity: IdentityFile): tls.SecureContext {
  const cached = contexts.get(identity)
  if (
    cached?.key === identity.key &&
    cached.cert === identity.certificate &&
    cached.ca === identity.ca
  ) {
    return cached.context
  }
  const context = tls.createSecureContext(tlsMaterial(identity))
  contexts.set(identity, {
    key: identity.key,
    cert: identity.certificate,
    ca: identity.ca,
    context,
  })
  return context
}
