import { isName } from '../../controller/policy/names.js'
import { ZhError } from '../../errors.js'

/**
 * The service an overlay request goes to: the URL host, which must be a service name, over plain
 * `http:` (the circuit is already end-to-end TLS). The port is ignored. Throws ZH_E2E_URL_INVALID.
 *
 * @example
 * serviceOf('http:', 'jenkins-webhook') // 'jenkins-webhook'
 */
export function serviceOf(
  protocol: string | null | undefined,
  host: string | null | undefined,
): string {
  if (protocol && protocol !== 'http:') {
    throw new ZhError('ZH_E2E_URL_INVALID', `${protocol}//${host ?? ''}: use http:`)
  }
  if (!isName(host)) {
    throw new ZhError('ZH_E2E_URL_INVALID', `${JSON.stringify(host)} is not a service name`)
  }
  return host
}
