import { describe, expect, it } from 'vitest'
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js'

const caller = { identityId: 'id-123', name: 'ci-job' }

describe('tunnel headers', () => {
  it("removes every X-Zerohook-* header the caller sent and adds the proven caller's", () => {
    const out = upstreamRequestHeaders(
      {
        'x-zerohook-identity': 'admin',
        'x-zerohook-identity-id': 'id-admin',
        'x-zerohook-role': 'root',
        'content-type': 'application/json',
      },
      caller,
      '127.0.0.1:8080',
    )
    expect(out['x-zerohook-identity']).toBe('ci-job')
    expect(out['x-zerohook-identity-id']).toBe('id-123')
    expect(out['x-zerohook-role']).toBeUndefined()
    expect(out['content-type']).toBe('application/json')
  })

  it('names the caller by id when its name is unknown', () => {
    const out = upstreamRequestHeaders({}, { identityId: 'id-9' }, '127.0.0.1:1')
    expect(out['x-zerohook-identity']).toBe('id-9')
    expect(out['x-zerohook-identity-id']).toBe('id-9')
  })

  it('drops hop-by-hop headers, and those the caller listed in Connection', () => {
    const out = upstreamRequestHeaders(
      {
        connection: 'keep-alive, X-Private-Hop',
        'keep-alive': 'timeout=5',
        'x-private-hop': 'secret',
        te: 'trailers',
        trailer: 'x-sum',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic abc',
        expect: '100-continue',
        'x-kept': 'yes',
      },
      caller,
      '127.0.0.1:8080',
    )
    for (const h of [
      'connection',
      'keep-alive',
      'x-private-hop',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
      'expect',
    ])
      expect(out[h], h).toBeUndefined()
    expect(out['x-kept']).toBe('yes')
  })

  it('removes client-address headers an app behind a loopback proxy would believe', () => {
    const out = upstreamRequestHeaders(
      {
        forwarded: 'for=10.0.0.1',
        'x-forwarded-for': '10.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
        'x-real-ip': '10.0.0.1',
      },
      caller,
      '127.0.0.1:8080',
    )
    for (const h of [
      'forwarded',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-port',
      'x-real-ip',
    ])
      expect(out[h], h).toBeUndefined()
  })

  it('sends the app its own Host and keeps the service name the caller used', () => {
    const out = upstreamRequestHeaders(
      { host: 'jenkins-webhook', 'x-forwarded-host': 'evil.example' },
      caller,
      '127.0.0.1:8080',
    )
    expect(out.host).toBe('127.0.0.1:8080')
    expect(out['x-forwarded-host']).toBe('jenkins-webhook')
  })

  it('drops hop-by-hop headers of the answer and keeps the rest', () => {
    const out = downstreamResponseHeaders({
      connection: 'close, x-app-hop',
      'x-app-hop': '1',
      'transfer-encoding': 'chunked',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/plain',
    })
    expect(out).toEqual({ 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' })
  })
})
