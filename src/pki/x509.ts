/**
 * The one place that loads @peculiar/x509. It needs `reflect-metadata` evaluated first and a
 * WebCrypto provider; every pki file imports the library from here so neither is ever forgotten.
 */
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto)

export { x509 }
