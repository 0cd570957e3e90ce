import { describe, expect, it } from 'vitest'
import { codeOfSync } from '../errors.test-util.js'
import { checkLifetimes, defaultLifetimes, parseLifetime } from './lifetimes.js'

describe('lifetimes', () => {
  it('reads whole seconds from a flag or a config value', () => {
    expect(parseLifetime('grantTtl', '900')).toBe(900)
    expect(parseLifetime('certTtl', 20)).toBe(20)
  })

  it.each([
    ['grantTtl', '0'],
    ['grantTtl', '-5'],
    ['grantTtl', '1.5'],
    ['grantTtl', 'ten'],
    ['grantTtl', ''],
    ['grantTtl', '86401'],
    ['certTtl', '9'],
    ['certTtl', String(3651 * 86_400)],
    ['controllerCertTtl', '1e3'],
    ['caTtl', '59'],
    ['grantTtl', 1.5],
    ['grantTtl', null],
  ] as const)('refuses %s %j with ZH_CONFIG_LIFETIME_INVALID', (name, value) => {
    expect(codeOfSync(() => parseLifetime(name, value))).toBe('ZH_CONFIG_LIFETIME_INVALID')
  })

  it('refuses a grant that would outlive its certificate', () => {
    expect(
      codeOfSync(() => checkLifetimes({ ...defaultLifetimes, grantTtl: 60, certTtl: 30 })),
    ).toBe('ZH_CONFIG_LIFETIME_INVALID')
    expect(checkLifetimes({ ...defaultLifetimes, grantTtl: 6, certTtl: 20 }).certTtl).toBe(20)
  })

  it('refuses certificates that would outlive the CA', () => {
    expect(codeOfSync(() => checkLifetimes(defaultLifetimes, 86_400))).toBe(
      'ZH_CONFIG_LIFETIME_INVALID',
    )
    expect(checkLifetimes(defaultLifetimes, 3650 * 86_400)).toEqual(defaultLifetimes)
  })
})
