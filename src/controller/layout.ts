import { join } from 'node:path'
import type { Lifetimes } from './lifetimes.js'

/** Where a controller keeps its state inside its directory. */
export function controllerPaths(dir: string) {
  return {
    config: join(dir, 'controller.json'),
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    tlsCert: join(dir, 'controller.pem'),
    tlsKey: join(dir, 'controller.key'),
    signingKey: join(dir, 'signing.key'),
    db: join(dir, 'zerohook.db'),
    admin: join(dir, 'admin.json'),
    storeKey: join(dir, 'store.key'),
  }
}

/** The settings file written by `controller init`. */
export interface ControllerConfig {
  network: string
  /** host:port to listen on (port 0: any free port). */
  listen: string
  /** host:port endpoints use to reach the controller; defaults to the bound listen address. */
  advertise?: string
  keyType: 'p256' | 'ed25519'
  /** Lifetimes set at init, seconds (absent in networks made before they could be set: defaults). */
  lifetimes?: Lifetimes
  /**
   * The shared PostgreSQL store this replica runs on (absent: the SQLite file in the directory).
   * Its CA key and signing key are then in the database, sealed with the store key.
   */
  store?: string
  createdAt: string
}

/** Splits "host:port" or "[v6]:port"; port 0 is allowed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  if (!m) return undefined
  const port = Number(m[3])
  if (port > 65535) return undefined
  return { host: (m[1] ?? m[2])!, port }
}

/** Formats a host and port as an https URL (brackets around IPv6). */
export function httpsUrl(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`
}
