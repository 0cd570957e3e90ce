import { createServer } from 'node:http'
import { fetch } from 'undici'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServicePolicy } from '../controller/ops/policies.js'
import { createService } from '../controller/ops/services.js'
import { certFingerprint, startRouterBed, type RouterBed } from '../router/router.test-util.js'
import { connect, type Zerohook } from './context.js'
import { getPeerIdentity } from './http/index.js'
import type { IdentityFile } from './identity-file.js'
import { codeOf } from '../errors.test-util.js'

describe(
  'SDK context against a real router and controller (in process)',
  { timeout: 60_000 },
  () => {
    const log = pino({ level: 'silent' })
    let bed: RouterBed
    let host: Zerohook
    let other: Zerohook
    let dialer: Zerohook
    let dialerIdentity: IdentityFile

    beforeAll(async () => {
      bed = await startRouterBed()
      await createService(bed.c.ctx, { name: 'hooks', attributes: ['webhooks'] })
      await createService(bed.c.ctx, { name: 'billing', attributes: ['internal'] })
      await createServicePolicy(bed.c.ctx, {
        name: 'bind',
        type: 'bind',
        identityRoles: ['#receivers'],
        serviceRoles: ['#webhooks'],
      })
      await createServicePolicy(bed.c.ctx, {
        name: 'bind2',
        type: 'bind',
        identityRoles: ['#billing'],
        serviceRoles: ['#internal'],
      })
      await createServicePolicy(bed.c.ctx, {
        name: 'dial',
        type: 'dial',
        identityRoles: ['#senders'],
        serviceRoles: ['#all'],
      })
      host = await connect(await bed.endpoint('host', ['receivers']), { log })
      other = await connect(await bed.endpoint('other', ['billing']), { log })
      dialerIdentity = await bed.endpoint('dialer', ['senders'])
      dialer = await connect(dialerIdentity, { log })
      const app = createServer((req, res) =>
        res.end(
          JSON.stringify({
            caller: getPeerIdentity(req)?.identityId,
            name: getPeerIdentity(req)?.name,
            fingerprint: getPeerIdentity(req)?.fingerprint,
          }),
        ),
      )
      await host.serve('hooks', app)
      await other.serve(
        'billing',
        createServer((_req, res) => res.end('billing')),
      )
    })
    afterAll(async () => {
      await Promise.all([host?.close(), other?.close(), dialer?.close()])
      await bed.stop()
    })

    it('serves an http.Server and tells the handler who called', async () => {
      const res = await fetch('http://hooks/x', { dispatcher: dialer.dispatcher() })
      // The name comes from the caller's controller-signed grant, not from anything it claims.
      expect(await res.json()).toEqual({
        caller: dialerIdentity.id,
        name: 'dialer',
        fingerprint: certFingerprint(dialerIdentity),
      })
    })

    it('detects a router that connects the dial to another identity’s terminator', async () => {
      const registry = bed.router.registry
      const honest = registry.pick.bind(registry)
      const billing = [...registry.sessions]
        .flatMap((s) => [...s.bindings.values()])
        .find((t) => t.serviceName === 'billing')!
      registry.pick = () => billing // a malicious (or broken) router
      try {
        expect(await codeOf(dialer.dial('hooks'))).toBe('ZH_E2E_WRONG_SERVICE')
      } finally {
        registry.pick = honest
      }
      const res = await fetch('http://hooks/x', { dispatcher: dialer.dispatcher() })
      expect(res.status).toBe(200)
    })

    it('renews its certificate and keeps working on new connections', async () => {
      const before = certFingerprint(dialerIdentity)
      let renewed: IdentityFile | undefined
      const zh = await connect(dialerIdentity, { log, onRenewed: (id) => void (renewed = id) })
      try {
        await zh.renew()
        expect(renewed).toBeDefined()
        expect(certFingerprint(renewed!)).not.toBe(before)
        // The hoster saw the renewed certificate in the end-to-end handshake.
        const dispatcher = zh.dispatcher()
        const res = await fetch('http://hooks/x', { dispatcher })
        expect(await res.json()).toMatchObject({ fingerprint: certFingerprint(renewed!) })
        await dispatcher.close()
      } finally {
        await zh.close()
      }
    })
  },
)
