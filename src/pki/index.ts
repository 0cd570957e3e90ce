/**
 * zerohook PKI: the network CA, key pairs, CSRs, issuance, and certificate checks (DESIGN §2).
 */
export { createCa, type CertifiedKey } from './ca.js'
export { createCsr, createKeyAndCsr, parseCsr } from './csr.js'
export { writePublicFile, writeSecretFile } from './files.js'
export { fingerprint, inspectCertificate, splitPemBundle, type CertInfo } from './inspect.js'
export {
  issueCertificate,
  issueKeyAndCertificate,
  type IssueOptions,
  type IssuedCertificate,
} from './issue.js'
export { generateKeyPair, type KeyType } from './keys.js'
export { parsePrincipalUri, principalUri, type PrincipalKind } from './uri.js'
export {
  checkServerPrincipal,
  verifyCertificate,
  type VerifiedCertificate,
  type VerifyOptions,
} from './verify.js'
