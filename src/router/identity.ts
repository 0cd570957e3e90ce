import { EventEmitter } from 'node:events'
import { ZhError } from '../errors.js'
import { inspectCertificate, type CertInfo } from '../pki/inspect.js'
import type { IdentityFile } from '../sdk/identity-file.js'

/** Events of a {@link RouterIdentity}. */
export interface RouterIdentityEvents {
  /** The certificate and key were replaced (renewal); new connections use the new ones. */
  renewed: [identity: IdentityFile]
}

/**
 * The router's own identity, shared by everything that presents its certificate: the edge
 * listener, the link dialer, the control client and the status reporter. Each reads `current`
 * when it opens a connection, so a renewal reaches every new connection without a restart;
 * connections already open keep the certificate they were made with.
 *
 * @example
 * const identity = new RouterIdentity(await loadIdentity('identity.json'))
 * identity.on('renewed', () => links.renewed())
 * identity.replace(await renewIdentity(identity.current))
 */
export class RouterIdentity extends EventEmitter<RouterIdentityEvents> {
  private file: IdentityFile
  private cert: CertInfo

  constructor(file: IdentityFile) {
    super()
    this.file = file
    this.cert = inspectCertificate(file.certificate)
  }

  /** The identity file as it is now (certificate and key of the latest renewal). */
  get current(): IdentityFile {
    return this.file
  }

  /** What the current certificate says: serial, fingerprint, validity. */
  get certificate(): CertInfo {
    return this.cert
  }

  /** The router id named in the certificate. */
  get routerId(): string {
    return this.cert.principal?.id ?? this.file.id
  }

  /** The certificate and key TLS presents, with the CA that peers are checked against. */
  tls(): { ca: string; cert: string; key: string } {
    return { ca: this.file.ca, cert: this.file.certificate, key: this.file.key }
  }

  /**
   * Takes the network's knock keys the controller pushed: connections opened from now on knock
   * with them, and they are saved with the next renewal. Not a renewal: nothing is re-made.
   */
  setKnock(keys: readonly string[]): void {
    this.file = { ...this.file, knock: [...keys] }
  }

  /**
   * Takes a renewed identity. It must name the same router of the same network: anything else
   * is a bug upstream, and swapping who we are under running connections would be worse.
   */
  replace(next: IdentityFile): void {
    const cert = inspectCertificate(next.certificate)
    const same =
      next.kind === this.file.kind &&
      next.network === this.file.network &&
      (cert.principal?.id ?? next.id) === this.routerId
    if (!same)
      throw new ZhError('ZH_CERT_RENEWAL_FAILED', 'the renewed certificate names another router')
    // A renewal from an older controller brings no knock keys: keep the ones pushed.
    this.file = next.knock || !this.file.knock ? next : { ...next, knock: this.file.knock }
    this.cert = cert
    this.emit('renewed', next)
  }
}
