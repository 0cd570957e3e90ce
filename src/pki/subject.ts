import { ZhError } from '../errors.js'
import type { x509 } from './x509.js'

/** RFC 5280 upper bound of a common name. */
const MAX_COMMON_NAME = 64
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Checks a common name we are about to put in a subject: 1-64 characters, no control
 * characters. Throws ZH_CSR_SUBJECT_INVALID otherwise.
 */
export function checkCommonName(commonName: string): string {
  if (
    typeof commonName !== 'string' ||
    commonName.length === 0 ||
    commonName.length > MAX_COMMON_NAME ||
    CONTROL.test(commonName)
  ) {
    throw new ZhError('ZH_CSR_SUBJECT_INVALID', `bad common name ${JSON.stringify(commonName)}`)
  }
  return commonName
}

/**
 * The subject `CN=<commonName>` as structured data, so a name holding `,` or `=` can never be
 * read as several attributes (string DNs would be parsed).
 */
export function commonNameSubject(commonName: string): x509.JsonName {
  return [{ CN: [checkCommonName(commonName)] }]
}

/**
 * The common name of a subject made of exactly one RDN holding exactly one CN attribute, or
 * `undefined` for any other subject (empty, extra attributes, several CNs, multi-valued RDN).
 */
export function soleCommonName(name: x509.Name): string | undefined {
  const rdns = name.toJSON()
  if (rdns.length !== 1) return undefined
  const entries = Object.entries(rdns[0]!)
  if (entries.length !== 1) return undefined
  const [type, values] = entries[0]!
  if ((type !== 'CN' && type !== '2.5.4.3') || values.length !== 1) return undefined
  return values[0]
}
