import { ZhError } from '../errors.js'

const DAY = 86_400

/** The lifetimes an operator sets (DESIGN §9), all in seconds. */
export interface Lifetimes {
  /** Grants (`--grant-ttl`), default 15 minutes. */
  grantTtl: number
  /** Endpoint and router certificates (`--cert-ttl`), default 30 days. */
  certTtl: number
  /** The controller's TLS certificate and admin identities (`--controller-cert-ttl`), default 365 days. */
  controllerCertTtl: number
}

export const defaultLifetimes: Lifetimes = {
  grantTtl: 900,
  certTtl: 30 * DAY,
  controllerCertTtl: 365 * DAY,
}

/** Default lifetime of a network's CA (`controller init --ca-ttl`), seconds: 10 years. */
export const DEFAULT_CA_TTL = 3650 * DAY

/**
 * Accepted range of each lifetime, seconds. The lower bounds leave room to renew before expiry
 * (a certificate renews two thirds into its life, a grant at half-life); the upper ones keep a
 * stolen grant or certificate from living on.
 */
export const LIFETIME_RANGES = {
  grantTtl: [2, DAY],
  certTtl: [10, 3650 * DAY],
  controllerCertTtl: [10, 3650 * DAY],
  caTtl: [60, 36_500 * DAY],
} as const satisfies Record<string, readonly [number, number]>

/** The command-line flag of each lifetime, for messages. */
const FLAGS: Record<keyof typeof LIFETIME_RANGES, string> = {
  grantTtl: '--grant-ttl',
  certTtl: '--cert-ttl',
  controllerCertTtl: '--controller-cert-ttl',
  caTtl: '--ca-ttl',
}

/**
 * Reads one lifetime given as text (a command-line value) or a number (a config file): whole
 * seconds within its range, else ZH_CONFIG_LIFETIME_INVALID naming the flag and the range.
 */
export function parseLifetime(name: keyof typeof LIFETIME_RANGES, value: unknown): number {
  const [min, max] = LIFETIME_RANGES[name]
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ZhError(
      'ZH_CONFIG_LIFETIME_INVALID',
      `${FLAGS[name]} ${JSON.stringify(value)}: whole seconds from ${min} to ${max}`,
    )
  }
  return n
}

/**
 * Checks a set of lifetimes, each in range and together consistent: a grant lives no longer
 * than the certificate it is bound to, and no certificate outlives the CA (`caTtl`, seconds
 * left of the CA's life, when known).
 */
export function checkLifetimes(l: Lifetimes, caTtl?: number): Lifetimes {
  const checked: Lifetimes = {
    grantTtl: parseLifetime('grantTtl', l.grantTtl),
    certTtl: parseLifetime('certTtl', l.certTtl),
    controllerCertTtl: parseLifetime('controllerCertTtl', l.controllerCertTtl),
  }
  if (checked.grantTtl > checked.certTtl) {
    throw new ZhError(
      'ZH_CONFIG_LIFETIME_INVALID',
      `--grant-ttl ${checked.grantTtl} is longer than --cert-ttl ${checked.certTtl}: a grant must not outlive the certificate it is bound to`,
    )
  }
  if (caTtl !== undefined) {
    for (const name of ['certTtl', 'controllerCertTtl'] as const) {
      if (checked[name] >= caTtl)
        throw new ZhError(
          'ZH_CONFIG_LIFETIME_INVALID',
          `${FLAGS[name]} ${checked[name]} is not shorter than the CA's life (${caTtl} s): certificates could not be renewed`,
        )
    }
  }
  return checked
}
