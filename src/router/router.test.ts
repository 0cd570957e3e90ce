import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isZhError } from '../errors.js'
import { signGrant } from '../controller/grants/token.js'
import { changeIdentity, removeIdentity } from '../controller/ops/identities.js'
import { createServicePolicy, removeServicePolicy } from '../controller/ops/policies.js'
import { createService } from '../controller/ops/services.js'
import { loadSigningKey } from '../controller/signing-key.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import type { Channel, Circuit, PendingCircuit } from '../wire/index.js'
import { decodeRouterMessage, encodeOverlay, type RouterMessage } from '../wire/overlay.js'
import {
  certFingerprint,
  grantsOf,
  rawLink,
  startRouterBed,
  type RouterBed,
} from './router.test-util.js'
import { codeOf } from '../errors.test-util.js'

/** Resolves on 'close' (events.once would reject on the 'error' that a reset brings first). */
function closeOf(stream: Duplex | Channel): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()))
}

function reply(channel: Channel): Promise<RouterMessage> {
  return new Promise((resolve) => channel.once('message', (m) => resolve(decodeRouterMessage(m))))
}

async function bind(
  channel: Channel,
  id: number,
  service: string,
  grant: string,
): Promise<RouterMessage> {
  const answer = reply(channel)
  channel.send(encodeOverlay({ t: 'bind', id, service, grant }))
  return answer
}

/** Accepts every termination on a hosting channel and echoes the bytes back. */
function echoHost(channel: Channel): Circuit[] {
  const circuits: Circuit[] = []
  channel.on('circuit', (pending: PendingCircuit) => {
    const circuit = pending.accept()
    circuits.push(circuit)
    circuit.on('error', () => undefined)
    circuit.pipe(circuit)
  })
  return circuits
}

describe('router: authorization, relay and pushed revocation', { timeout: 60_000 }, () => {
  let bed: RouterBed
  let host: IdentityFile
  let dialer: IdentityFile
  let hostChannel: Channel

  const dialGrant = async (who: IdentityFile) =>
    (await grantsOf(who)).grants.find((g) => g.action === 'dial' && g.service.name === 'hooks')!
      .token

  beforeAll(async () => {
    bed = await startRouterBed()
    await createService(bed.c.ctx, { name: 'hooks', attributes: ['webhooks'] })
    await createService(bed.c.ctx, { name: 'other', attributes: ['internal'] })
    await createServicePolicy(bed.c.ctx, {
      name: 'bind',
      type: 'bind',
      identityRoles: ['#receivers'],
      serviceRoles: ['#webhooks'],
    })
    await createServicePolicy(bed.c.ctx, {
      name: 'dial',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#webhooks'],
    })
    await createServicePolicy(bed.c.ctx, {
      name: 'dial-other',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#internal'],
    })
    host = await bed.endpoint('host', ['receivers'])
    dialer = await bed.endpoint('dialer', ['senders'])
    hostChannel = await rawLink(bed, host)
    echoHost(hostChannel)
    const bindGrant = (await grantsOf(host)).grants.find((g) => g.action === 'bind')!.token
    expect(await bind(hostChannel, 1, 'hooks', bindGrant)).toEqual({ t: 'bound', id: 1 })
  })
  afterAll(() => bed.stop())

  it('relays a dial with a valid grant to the terminator', async () => {
    const channel = await rawLink(bed, dialer)
    const { circuit } = await channel.open(
      encodeOverlay({ service: 'hooks', grant: await dialGrant(dialer) }),
    )
    circuit.end('hello through the router')
    const chunks: Buffer[] = []
    for await (const chunk of circuit) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('hello through the router')
    channel.close()
  })

  it('refuses forged, expired, other-identity, other-service and other-router grants', async () => {
    const channel = await rawLink(bed, dialer)
    const open = (service: string, grant: string) =>
      codeOf(channel.open(encodeOverlay({ service, grant })))
    const real = await grantsOf(dialer)
    const hooks = real.grants.find((g) => g.service.name === 'hooks')!
    const base = {
      sub: dialer.id,
      net: 'bed',
      svc: hooks.service.id,
      sn: 'hooks',
      act: 'dial' as const,
      cfp: certFingerprint(dialer),
      rtr: [bed.routerId],
    }
    const forger = loadSigningKey(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    )
    expect(await open('hooks', (await signGrant(forger, base, 600)).token)).toBe('ZH_GRANT_INVALID')
    expect(await open('hooks', (await signGrant(bed.c.ctx.signingKey, base, -10)).token)).toBe(
      'ZH_GRANT_EXPIRED',
    )
    expect(
      await open(
        'hooks',
        (await signGrant(bed.c.ctx.signingKey, { ...base, rtr: ['elsewhere'] }, 600)).token,
      ),
    ).toBe('ZH_GRANT_MISMATCH')
    expect(
      await open(
        'hooks',
        (await signGrant(bed.c.ctx.signingKey, { ...base, cfp: 'ab'.repeat(32) }, 600)).token,
      ),
    ).toBe('ZH_GRANT_MISMATCH')
    expect(await codeOf(channel.open(Buffer.from('not json')))).toBe('ZH_OVERLAY_MESSAGE_INVALID')
    const hostBind = (await grantsOf(host)).grants.find((g) => g.action === 'bind')!.token
    expect(await open('hooks', hostBind)).toBe('ZH_GRANT_MISMATCH') // another identity's grant
    const otherGrant = real.grants.find((g) => g.service.name === 'other')!.token
    expect(await open('hooks', otherGrant)).toBe('ZH_GRANT_MISMATCH') // grant for another service
    expect(await open('other', otherGrant)).toBe('ZH_ROUTER_NO_TERMINATOR')
    expect(channel.closed).toBe(false) // refusals close circuits, not the connection
    channel.close()
  })

  it('closes a live circuit at once when the dial policy goes, and refuses the old grant', async () => {
    const channel = await rawLink(bed, dialer)
    const grant = await dialGrant(dialer)
    const { circuit } = await channel.open(encodeOverlay({ service: 'hooks', grant }))
    circuit.write('ping')
    await once(circuit, 'data')
    const closed = closeOf(circuit)
    const errored = new Promise<string>((resolve) =>
      circuit.once('error', (e) => resolve(isZhError(e) ? e.code : String(e))),
    )
    const started = performance.now()
    await removeServicePolicy(bed.c.ctx, 'dial')
    await closed
    const ms = performance.now() - started
    expect(ms).toBeLessThan(1000)
    expect(await errored).toBe('ZH_ROUTER_PERMISSION_REVOKED')
    expect(await codeOf(channel.open(encodeOverlay({ service: 'hooks', grant })))).toBe(
      'ZH_ROUTER_PERMISSION_REVOKED',
    )
    await createServicePolicy(bed.c.ctx, {
      name: 'dial',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#webhooks'],
    })
    await new Promise((r) => setTimeout(r, 1100)) // a grant of the same second as the loss is refused
    const { circuit: again } = await channel.open(
      encodeOverlay({ service: 'hooks', grant: await dialGrant(dialer) }),
    )
    again.destroy()
    channel.close()
  })

  it('closes a live circuit when an attribute change removes the permission', async () => {
    const other = await bed.endpoint('attr-dialer', ['senders'])
    const channel = await rawLink(bed, other)
    const { circuit } = await channel.open(
      encodeOverlay({ service: 'hooks', grant: await dialGrant(other) }),
    )
    circuit.on('error', () => undefined)
    const closed = closeOf(circuit)
    await changeIdentity(bed.c.ctx, 'attr-dialer', { attributes: [] })
    await closed
    channel.close()
  })

  it('disconnects a deleted identity and refuses its reconnection', async () => {
    const doomed = await bed.endpoint('doomed', ['senders'])
    const channel = await rawLink(bed, doomed)
    const { circuit } = await channel.open(
      encodeOverlay({ service: 'hooks', grant: await dialGrant(doomed) }),
    )
    circuit.on('error', () => undefined)
    const closed = once(channel, 'close')
    await removeIdentity(bed.c.ctx, 'doomed')
    const [err] = (await closed) as [{ code?: string } | undefined]
    expect(err?.code).toBe('ZH_ROUTER_CERT_REVOKED')
    const again = await rawLink(bed, doomed).then(
      (ch) => new Promise<boolean>((resolve) => ch.once('close', () => resolve(true))),
      () => true,
    )
    expect(again).toBe(true)
  })

  it('removes the terminator when the bind policy goes', async () => {
    const unbound = reply(hostChannel)
    await removeServicePolicy(bed.c.ctx, 'bind')
    expect(await unbound).toEqual({ t: 'unbound', id: 1, code: 'ZH_ROUTER_PERMISSION_REVOKED' })
    const channel = await rawLink(bed, dialer)
    expect(
      await codeOf(
        channel.open(encodeOverlay({ service: 'hooks', grant: await dialGrant(dialer) })),
      ),
    ).toBe('ZH_ROUTER_NO_TERMINATOR')
    channel.close()
  })
})
