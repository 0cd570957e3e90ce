import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { CertifiedKey } from '../pki/ca.js'
import type { ControllerMetrics } from './metrics.js'
import type { SigningKey } from './signing-key.js'
import type { Db } from './store/db.js'

/** Lifetimes and limits a controller applies. */
export interface ControllerSettings {
  /** Enrollment token lifetime, seconds (default 3 h). */
  enrollTtl: number
  /** Grant lifetime, seconds (default 15 min). */
  grantTtl: number
  /** Endpoint and router certificate lifetime, days (default 30). */
  certDays: number
}

export const defaultSettings: ControllerSettings = {
  enrollTtl: 3 * 3600,
  grantTtl: 15 * 60,
  certDays: 30,
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
