import { describe, expect, it } from 'vitest'
import { controllerOrigin, orderControllers, parseControllersHeader } from './controller-urls.js'

describe('controller URLs', () => {
  it('canonicalizes https base URLs and refuses anything else', () => {
    expect(controllerOrigin('https://Ctl.Example:1280/')).toBe('https://ctl.example:1280')
    expect(controllerOrigin('https://ctl.example:443')).toBe('https://ctl.example')
    for (const bad of [
      '',
      'http://ctl:1',
      'ctl:1280',
      'https://ctl:1/v1',
      'https://ctl:1/?a=b',
      'https://ctl:1/#x',
      'https://u@ctl:1',
      `https://${'a'.repeat(300)}`,
    ])
      expect(controllerOrigin(bad), bad).toBeUndefined()
  })

  it('reads a header list, skipping junk and anything past the 16th entry', () => {
    expect(parseControllersHeader(undefined)).toEqual([])
    expect(
      parseControllersHeader('https://a:1, junk,,http://b:2 ,https://a:1/,https://c:3'),
    ).toEqual(['https://a:1', 'https://c:3'])
    const many = Array.from({ length: 20 }, (_, i) => `https://h${i}:1`)
    expect(parseControllersHeader(many.join(','))).toEqual(many.slice(0, 16))
    expect(parseControllersHeader(['https://a:1', 'https://b:2'])).toEqual([
      'https://a:1',
      'https://b:2',
    ])
  })

  it('orders a preferred URL first, even one that is not valid', () => {
    expect(orderControllers('https://b:1', ['https://a:1', 'https://b:1'])).toEqual([
      'https://b:1',
      'https://a:1',
    ])
    expect(orderControllers('http://old:1', ['https://a:1'])).toEqual([
      'http://old:1',
      'https://a:1',
    ])
  })
})
