import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { getScheme, listSchemes } from './registry.js'

const schemesDir = new URL('./schemes/', import.meta.url)

describe('the scheme registry', () => {
  it('holds 40+ schemes, each under its own name, each with its own test file', () => {
    const names = listSchemes()
    expect(names.length).toBeGreaterThanOrEqual(40)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) {
      expect(getScheme(name).name).toBe(name)
      const test = new URL(`${name}.test.ts`, schemesDir)
      expect(existsSync(test), `${name}.test.ts`).toBe(true)
      // The test drives this scheme by name (the compliance suite or its own checks).
      expect(readFileSync(test, 'utf8'), `${name}.test.ts names '${name}'`).toContain(`'${name}'`)
    }
  })

  it('says which names exist when one does not', () => {
    expect(() => getScheme('nope')).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_SCHEME_UNKNOWN' }),
    )
  })
})
