import { describe, expect, it } from 'vitest'
import { parseIdentity } from './identity-file.js'

const base = {
  version: 1,
  id: 'id-1',
  name: 'jenkins',
  kind: 'endpoint',
  network: 'acme',
  controller: 'https://127.0.0.1:1280',
  certificate: 'CERT',
  key: 'KEY',
  ca: 'CA',
  grantKey: { kty: 'OKP' },
}
const parse = (extra: Record<string, unknown>) => () =>
  parseIdentity(JSON.stringify({ ...base, ...extra }), 'test.json')

describe('parseIdentity controllers', () => {
  it('reads files with no list (older versions) and with a valid one', () => {
    expect(parse({})().controllers).toBeUndefined()
    const controllers = ['https://127.0.0.1:1280', 'https://ctl-2.example:1280/']
    expect(parse({ controllers })().controllers).toEqual(controllers)
  })

  it.each([
    ['not a list', 'https://127.0.0.1:1280', /"controllers" must be a list of at most 16/],
    [
      'more than 16',
      Array.from({ length: 17 }, (_, i) => `https://127.0.0.1:${i + 1}`),
      /at most 16/,
    ],
    ['plain http', ['http://127.0.0.1:1280'], /"controllers\[0\]" must be an https base URL/],
    ['not a string', ['https://127.0.0.1:1', 42], /"controllers\[1\]"/],
    ['not a URL', ['controller'], /"controllers\[0\]"/],
    ['a path', ['https://127.0.0.1:1280/api'], /"controllers\[0\]"/],
    ['credentials', ['https://u:p@127.0.0.1:1280'], /"controllers\[0\]"/],
    ['too long', [`https://${'a'.repeat(295)}.io`], /at most 300 characters/],
  ])('rejects %s with ZH_FILE_INVALID', (_what, controllers, message) => {
    expect(parse({ controllers })).toThrow(expect.objectContaining({ code: 'ZH_FILE_INVALID' }))
    expect(parse({ controllers })).toThrow(message)
  })
})
