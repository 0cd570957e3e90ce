import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

/**
 * A receiver that only hosts (nothing of its own keeps Node's event loop busy: no port, no
 * timers) must outlive an outage of every router, as a listening server outlives its clients,
 * and serve again by itself once a router is back. Grants live 6 s, so the receiver learns of
 * the new router at its next refresh.
 */
describe('a host-only process through a router outage', { timeout: 120_000 }, () => {
  let net: TestNetwork
  let receiver: Daemon
  let sender: string

  beforeAll(async () => {
    net = await startNetwork(1, { init: ['--grant-ttl', '6'] })
    await net.admin('service', 'create', 'outage-hook', '--attr', 'hooks')
    await net.policy('bind-hooks', 'bind', '#receivers', '#hooks')
    await net.policy('dial-hooks', 'dial', '#senders', '#hooks')
    sender = (await net.identity('ci', ['senders'])).file
    const { file } = await net.identity('dark', ['receivers'])
    receiver = startFixture('receiver.ts', [file, 'outage-hook'])
    await receiver.waitFor((l) => l.event === 'ready')
  })
  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  const send = () =>
    runCli([
      'send',
      '--identity',
      sender,
      '--service',
      'outage-hook',
      '--path',
      '/hook',
      '--type',
      't',
      '--data',
      '{}',
      '--secret',
      SECRET,
      '--retries',
      '8',
      '--no-grant-cache',
      '--json',
    ])

  it('keeps running while no router is up, then serves through the next one', async () => {
    expect((await send()).code).toBe(0)
    const [router] = net.routers
    await router!.stop()
    // Several reconnect attempts (backoff 0.2 s doubling) with nothing to connect to.
    await new Promise((r) => setTimeout(r, 4_000))
    expect(receiver.child.exitCode).toBeNull()
    expect(receiver.child.signalCode).toBeNull()

    await net.addRouter('router-2')
    // Until the receiver's next grant refresh names the new router it is not bound there:
    // ZH_ROUTER_NO_TERMINATOR, retried.
    const r = await send()
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 200 })
    expect(receiver.lines.filter((l) => l.event === 'request')).toHaveLength(2)
    // And it still stops when told to.
    expect(await receiver.stop()).toBe(0)
  })
})
