import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { CertifiedKey } from '../pki/ca.js'
import { defaultLifetimes, type Lifetimes } from './lifetimes.js'
import type { KnockKeys } from './knock-keys.js'
import type { ControllerMetrics } from './metrics.js'
import type { SigningKey } from './signing-key.js'
import type { ChangeFeed } from './feed.js'
import type { Replicas } from './replicas.js'
import type { Store } from './store/types.js'

/** Lifetimes and limits a controller applies; lifetimes in seconds. */
export interface ControllerSettings extends Lifetimes {
  /** Enrollment token lifetime, seconds (default 3 h). */
  enrollTtl: number
  /**
   * How long records that no longer matter are kept before they are pruned, seconds (default
   * 7 days): certificates past their expiry, enrollment tokens used or expired.
   */
  recordRetention: number
  /** How often the network's knock key is replaced, seconds (default 1 day; see KnockKeys). */
  knockRotation: number
}

export const defaultSettings: ControllerSettings = {
  ...defaultLifetimes,
  enrollTtl: 3 * 3600,
  recordRetention: 7 * 86_400,
  knockRotation: 86_400,
}

/** Everything an operation of the controller needs, injected. */
export interface ControllerContext {
  /** The store: this controller's SQLite file, or the PostgreSQL database its replicas share. */
  db: Store
  /** Delivers every recorded change, whichever replica made it, as 'change' on `events`. */
  feed: ChangeFeed
  /** The controller replicas serving this network (one, on SQLite). */
  replicas: Replicas
  network: string
  /** The URL endpoints reach this controller at (goes into tokens and identity files). */
  url: string
  ca: CertifiedKey
  /** SHA-256 fingerprint (hex) of the CA certificate. */
  caFingerprint: string
  signingKey: SigningKey
  /** Emits 'change' with a SequencedChange for every change that removed a permission or revoked a certificate. */
  events: EventEmitter
  log: Logger
  settings: ControllerSettings
  metrics?: ControllerMetrics
  /** The network's knock keys, handed to endpoints and routers (absent in bare test contexts). */
  knock?: KnockKeys
}
