import { describe, expect, it } from 'vitest'
import { newStoreKey, parseStoreKey, readStoreKey, seal, unseal } from './store-key.js'

describe('store key and sealed secrets', () => {
  const key = parseStoreKey(newStoreKey())

  it('round-trips a secret under its name', () => {
    expect(unseal(key, 'ca.key', seal(key, 'ca.key', 'PRIVATE'))).toBe('PRIVATE')
  })

  it('refuses another key, another name, or a changed value', () => {
    const sealed = seal(key, 'ca.key', 'PRIVATE')
    const other = parseStoreKey(newStoreKey())
    expect(() => unseal(other, 'ca.key', sealed)).toThrow(
      expect.objectContaining({ code: 'ZH_STORE_KEY_INVALID' }),
    )
    expect(() => unseal(key, 'signing.key', sealed)).toThrow(
      expect.objectContaining({ code: 'ZH_STORE_KEY_INVALID' }),
    )
    // One bit of the ciphertext flipped (decoded, flipped, encoded again: the last base64url
    // character may carry padding bits that decode to the same bytes).
    const parts = sealed.split('.')
    const ct = Buffer.from(parts[3]!, 'base64url')
    ct[0] = ct[0]! ^ 1
    const flipped = [...parts.slice(0, 3), ct.toString('base64url')].join('.')
    expect(() => unseal(key, 'ca.key', flipped)).toThrow(
      expect.objectContaining({ code: 'ZH_STORE_KEY_INVALID' }),
    )
    expect(() => unseal(key, 'ca.key', 'garbage')).toThrow(
      expect.objectContaining({ code: 'ZH_STORE_KEY_INVALID' }),
    )
  })

  it('reads the key from the environment, hex or base64url, and refuses other lengths', async () => {
    const hex = key.toString('hex')
    expect((await readStoreKey(undefined, { ZEROHOOK_STORE_KEY: hex })).equals(key)).toBe(true)
    await expect(readStoreKey(undefined, {})).rejects.toMatchObject({
      code: 'ZH_STORE_KEY_MISSING',
    })
    await expect(readStoreKey(undefined, { ZEROHOOK_STORE_KEY: 'c2hvcnQ' })).rejects.toMatchObject({
      code: 'ZH_STORE_KEY_INVALID',
    })
    await expect(readStoreKey('/nonexistent/store.key', {})).rejects.toMatchObject({
      code: 'ZH_STORE_KEY_MISSING',
    })
  })
})
