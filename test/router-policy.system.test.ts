import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, runCli, stopAllDaemons } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

interface Policy {
  name: string
  identityRoles: string[]
  routerRoles: string[]
}
interface Grants {
  routers: { name: string }[]
}

describe('zerohook router-policy', () => {
  let net: TestNetwork
  beforeAll(async () => {
    net = await startNetwork(0)
    await net.admin('router', 'create', 'edge-public', '--attr', 'public')
    await net.admin('router', 'create', 'edge-private', '--attr', 'private')
  })
  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  const routersOf = async (file: string) =>
    (await cliJson<Grants>(['grants', '--identity', file])).routers.map((r) => r.name).sort()

  it('confines identities to the routers a policy gives them', async () => {
    const ci = await net.identity('ci', ['senders'])
    const { policies } = await net.admin<{ policies: Policy[] }>('router-policy', 'list')
    expect(policies.map((p) => p.name)).toEqual(['default'])
    expect(await routersOf(ci.file)).toEqual(['edge-private', 'edge-public'])

    const created = await net.admin<{ policy: Policy }>(
      'router-policy',
      'create',
      'senders-public',
      '--identities',
      '#senders',
      '--routers',
      '#public',
    )
    expect(created.policy).toMatchObject({ identityRoles: ['#senders'], routerRoles: ['#public'] })
    await net.admin('router-policy', 'delete', 'default')
    expect(await routersOf(ci.file)).toEqual(['edge-public'])
    const shown = await net.admin<{ policy: Policy }>('router-policy', 'show', 'senders-public')
    expect(shown.policy.name).toBe('senders-public')

    await net.admin('router-policy', 'delete', 'senders-public')
    expect(await routersOf(ci.file)).toEqual([])
  })

  it('answers bad input with a code and a usage error with exit 2', async () => {
    const missing = await runCli(['router-policy', 'show', 'nope', '--dir', `${net.dir}/ctl`])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^ZH_POLICY_NOT_FOUND: /)
    const usage = await runCli(['router-policy', 'create', 'x', '--dir', `${net.dir}/ctl`])
    expect(usage.code).toBe(2)
  })
})
