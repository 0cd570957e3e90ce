import { createBasicAuthScheme } from './basic-auth.js'

/**
 * Pipedrive: no signature; a webhook may be created with an HTTP auth user and password, sent
 * as `Authorization: Basic ...`. The secret is `user:password`, compared in constant time.
 * Neither the body nor a time is signed, so no tolerance applies and the replay id is a digest
 * of the body.
 */
// No published vector: Pipedrive documents no signature; the test checks the header encoding.
export const pipedrive = createBasicAuthScheme('pipedrive')
