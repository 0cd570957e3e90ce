import { ZhError } from '../../errors.js'
import type { Lifetimes } from '../lifetimes.js'
import { seal, unseal } from '../store/store-key.js'
import type { Queryable } from '../store/types.js'
import { getMeta, setMeta } from './meta.js'

/**
 * What every replica of a network shares, kept in the shared store: the CA and the signing key
 * (sealed with the store key, never in clear in the database), and the settings chosen at init.
 */
export interface SharedNetwork {
  network: string
  caCertPem: string
  caKeyPem: string
  signingPem: string
  keyType: 'p256' | 'ed25519'
  lifetimes: Lifetimes
}

/** Records a new network's shared material (inside the init transaction). */
export async function saveSharedNetwork(
  tx: Queryable,
  key: Buffer,
  n: SharedNetwork,
): Promise<void> {
  await setMeta(tx, 'network', n.network)
  await setMeta(tx, 'ca_cert', n.caCertPem)
  await setMeta(tx, 'settings', JSON.stringify({ keyType: n.keyType, lifetimes: n.lifetimes }))
  for (const [name, value] of [
    ['ca.key', n.caKeyPem],
    ['signing.key', n.signingPem],
  ] as const) {
    await tx.run(
      'INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, seal(key, name, value)],
    )
  }
}

/**
 * Reads the network a shared store holds, opening its secrets with the store key:
 * ZH_STORE_NOT_INITIALIZED when it holds none, ZH_STORE_KEY_INVALID for another key.
 */
export async function loadSharedNetwork(db: Queryable, key: Buffer): Promise<SharedNetwork> {
  const network = await getMeta(db, 'network')
  const caCertPem = await getMeta(db, 'ca_cert')
  const settings = await getMeta(db, 'settings')
  if (!network || !caCertPem || !settings) throw new ZhError('ZH_STORE_NOT_INITIALIZED')
  const secret = async (name: string) => {
    const row = await db.get<{ value: string }>('SELECT value FROM secrets WHERE name = ?', [name])
    if (!row) throw new ZhError('ZH_STORE_NOT_INITIALIZED', `${name} is missing`)
    return unseal(key, name, row.value)
  }
  const parsed = JSON.parse(settings) as Pick<SharedNetwork, 'keyType' | 'lifetimes'>
  return {
    network,
    caCertPem,
    caKeyPem: await secret('ca.key'),
    signingPem: await secret('signing.key'),
    keyType: parsed.keyType,
    lifetimes: parsed.lifetimes,
  }
}
