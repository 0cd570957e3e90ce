import { describe, expect, it } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import { isLoopbackHost, parseListen, parseTarget } from './target.js'

const sync = (f: () => unknown) => codeOf(Promise.resolve().then(f))

describe('parseTarget (--to)', () => {
  it('accepts http URLs of loopback apps with an explicit port', () => {
    expect(parseTarget('http://127.0.0.1:8080')).toEqual({
      host: '127.0.0.1',
      port: 8080,
      authority: '127.0.0.1:8080',
    })
    expect(parseTarget('http://localhost:3000/')).toMatchObject({ host: 'localhost', port: 3000 })
    expect(parseTarget('http://[::1]:9000')).toEqual({
      host: '::1',
      port: 9000,
      authority: '[::1]:9000',
    })
    expect(parseTarget('http://127.0.0.1:80')).toMatchObject({ port: 80 })
  })

  it.each([
    ['https://127.0.0.1:8443', 'TLS to a local app'],
    ['ftp://127.0.0.1:21', 'another protocol'],
    ['http://127.0.0.1', 'no port'],
    ['http://127.0.0.1:0', 'port 0'],
    ['http://127.0.0.1:8080/hook', 'a path'],
    ['http://127.0.0.1:8080?x=1', 'a query'],
    ['http://127.0.0.1:8080/#a', 'a fragment'],
    ['http://user:pw@127.0.0.1:8080', 'credentials'],
    ['http://10.0.0.5:8080', 'a private, non-loopback host'],
    ['http://example.com:80', 'a remote name'],
    ['http://169.254.169.254:80', 'cloud metadata'],
    ['127.0.0.1:8080', 'no scheme'],
    ['not a url', 'garbage'],
  ])('refuses %s (%s) with ZH_TUNNEL_TARGET_INVALID', async (to) => {
    expect(await sync(() => parseTarget(to))).toBe('ZH_TUNNEL_TARGET_INVALID')
  })

  it('accepts a remote host only when asked, still http only', async () => {
    expect(parseTarget('http://10.0.0.5:8080', { allowRemote: true })).toMatchObject({
      host: '10.0.0.5',
    })
    expect(await sync(() => parseTarget('https://10.0.0.5:8080', { allowRemote: true }))).toBe(
      'ZH_TUNNEL_TARGET_INVALID',
    )
  })

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h)).toBe(true)
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(h)).toBe(false)
  })
})

describe('parseListen (--listen)', () => {
  it('splits host:port and [v6]:port, port 0 allowed', () => {
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 })
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 })
    expect(parseListen('localhost:65535')).toEqual({ host: 'localhost', port: 65535 })
  })

  it.each(['127.0.0.1', ':80', '127.0.0.1:65536', '::1:80', 'a b:80', '127.0.0.1:x'])(
    'refuses %s',
    async (text) => {
      expect(await sync(() => parseListen(text))).toBe('ZH_TUNNEL_LISTEN_INVALID')
    },
  )
})
