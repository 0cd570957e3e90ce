import type { GrantClaims } from '../../controller/grants/token.js'
import type { IdentityFile } from '../identity-file.js'
import type { E2eSocket } from './records/socket.js'

/** What one endpoint brings to an end-to-end handshake. */
export interface E2eLocal {
  /** Certificate, key, CA bundle, network and the controller's grant key (`grantKey`). */
  identity: IdentityFile
  /**
   * This endpoint's grant token for the service, bound to `identity`'s certificate: a dial
   * grant on the dialer, a bind grant on the hoster. Read at each handshake, so a refreshed
   * grant can be swapped in place (the hoster also takes a function returning both).
   */
  grant: string
}

/** The other endpoint, as proven by its certificate and its grant. */
export interface E2ePeer {
  /** Identity id, from the certificate's principal URI (equal to the grant's `sub`). */
  identityId: string
  /** The identity's name, from its controller-signed grant (absent in older grants). */
  name?: string
  /** SHA-256 fingerprint (hex) of the peer's certificate (equal to the grant's `cfp`). */
  fingerprint: string
  /** The peer's verified grant for this service. */
  grant: GrantClaims
}

/** What an end-to-end handshake resolves to. */
export interface E2eConnection {
  socket: E2eSocket
  peer: E2ePeer
}

/** Tuning and test hooks of the end-to-end handshake. */
export interface E2eOptions {
  /** Limit for the whole handshake (TLS and grant exchange), in ms; default 10 000. */
  timeoutMs?: number
  /**
   * Receives the key log of each handshake: the TLS lines (NSS key log format; they open the
   * handshake and the grant exchange), then the two record secrets of the circuit
   * (`ZEROHOOK_DIALER_TRAFFIC_SECRET_0` and `ZEROHOOK_HOSTER_TRAFFIC_SECRET_0`, see
   * records/keylog.ts). For tests and debugging only: anyone holding them can decrypt the whole
   * circuit. Off by default.
   */
  keylog?: (line: Buffer) => void
  /** The clock grants are checked against, in ms since the epoch; default `Date.now`. */
  now?: () => number
  /**
   * @internal Records per key before both ends move to the next (default 2^24); tests lower it
   * to cross key updates. Both ends must use the same value.
   */
  recordsPerKey?: number
}

/** Default limit of the whole end-to-end handshake. */
export const DEFAULT_E2E_TIMEOUT_MS = 10_000
