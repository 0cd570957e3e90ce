import { SECRET_LENGTH } from './keys.js'

/** Key log labels of the record secrets (the first of each direction; later ones follow from it). */
export const DIALER_SECRET_LABEL = 'ZEROHOOK_DIALER_TRAFFIC_SECRET_0'
export const HOSTER_SECRET_LABEL = 'ZEROHOOK_HOSTER_TRAFFIC_SECRET_0'

/**
 * The `keylog` hook of one handshake: TLS's own lines (NSS key log format; they open the
 * handshake and the grant exchange), then, at the switch to records, the two record secrets
 * under the same client random, so a capture of the circuit can be decrypted whole:
 *
 * ```
 * ZEROHOOK_DIALER_TRAFFIC_SECRET_0 <client_random> <hex>   (dialer → hoster)
 * ZEROHOOK_HOSTER_TRAFFIC_SECRET_0 <client_random> <hex>   (hoster → dialer)
 * ```
 */
export class KeyLog {
  private clientRandom = ''

  constructor(private readonly sink: (line: Buffer) => void) {}

  /** Listener for the TLS socket's (or server's) 'keylog' event. */
  readonly tls = (line: Buffer): void => {
    this.clientRandom ||= line.toString('latin1').split(' ')[1] ?? ''
    this.sink(line)
  }

  /** Logs the exporter output the record keys come from (see `recordKeys`). */
  records(exported: Buffer): void {
    const line = (label: string, from: number) =>
      Buffer.from(
        `${label} ${this.clientRandom} ${exported.toString('hex', from, from + SECRET_LENGTH)}\n`,
        'latin1',
      )
    this.sink(line(DIALER_SECRET_LABEL, 0))
    this.sink(line(HOSTER_SECRET_LABEL, SECRET_LENGTH))
  }
}
