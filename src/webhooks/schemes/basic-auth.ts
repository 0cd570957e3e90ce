import { ZhError } from '../../errors.js'
import { digestId, fromBase64, secretEqual } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { SchemeName, Secret, WebhookScheme } from '../types.js'
import { mustMatch } from './shared.js'

const AUTHORIZATION = 'Authorization'
const BASIC = /^Basic +([^\s]+)$/i

/**
 * A scheme authenticated by HTTP basic credentials set at the provider (Postmark, Pipedrive):
 * the secret is `user:password`, compared in constant time with the decoded
 * `Authorization: Basic` header. The credentials authenticate the sender but sign nothing: the
 * body and the time are not covered, so the id is a digest of the body. Send it over HTTPS only.
 */
export function createBasicAuthScheme(name: SchemeName): WebhookScheme {
  return {
    name,
    tolerance: null,
    sign(input) {
      const [secret, ...rest] = input.secrets
      if (secret === undefined || rest.length > 0) {
        throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `${name} sends one user:password secret`)
      }
      return { [AUTHORIZATION]: `Basic ${credentials(secret).toString('base64')}` }
    },
    verify(input) {
      if (input.secrets.length === 0) {
        throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `${name} needs a user:password secret`)
      }
      const expected = input.secrets.map(credentials)
      const header = input.headers.required(AUTHORIZATION, { noComma: true })
      const match = BASIC.exec(header)
      if (!match) {
        throw new ZhError(
          'ZH_WEBHOOK_HEADER_MALFORMED',
          `${AUTHORIZATION} is not Basic credentials`,
        )
      }
      const presented = fromBase64(match[1]!)
      mustMatch(
        presented !== undefined && expected.some((secret) => secretEqual(secret, presented)),
        name,
      )
      return { id: digestId(input.body), timestamp: null }
    },
  }
}

// The secret as the bytes of `user:password`; a user name cannot hold a colon, so one is required.
function credentials(secret: Secret): Buffer {
  const bytes = Buffer.from(hmacKey(secret))
  if (!bytes.includes(0x3a)) {
    throw new ZhError('ZH_WEBHOOK_SECRET_INVALID', 'a basic auth secret is "user:password"')
  }
  return bytes
}
