import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { CertifiedKey } from '../pki/ca.js'
import { defaultLifetimes, type Lifetimes } from './lifetimes.js'
import type { ControllerMetrics } from './metrics.js'
import type { SigningKey } from './signing-key.js'
import type { Db } from './store/db.js'

/** Lifetimes and limits a controller applies; lifetimes in seconds. */
export interface ControllerSettings extends Lifetimes {
  /** Enrollment token lifetime, seconds (default 3 h). */
  enrollTtl: number
  /**
   * How long records that no longer matter are kept before they are pruned, seconds (default
   * 7 days): certificates past their expiry, enrollment tokens used or expired.
   */
  recordRetention: number
}

export const defaultSettings: ControllerSettings = {
  ...defaultLifetimes,
  enrollTtl: 3 * 3600,
  recordRetention: 7 * 86_400,
}

/** Everything an operation of the controller needs, injected. */
export interface ControllerContext {
  db: Db
  network: string
  /** The URL endpoints reach this controller at (goes into tokens and identity files). */
  url: string
  ca: CertifiedKey
  /** SHA-256 fingerprint (hex) of the CA certificate. */
  caFingerprint: string
  signingKey: SigningKey
  /** Emits 'change' with a ChangeEvent after every change that removed a permission or revoked a certificate. */
  events: EventEmitter
  log: Logger
  settings: ControllerSettings
  metrics?: ControllerMetrics
}
