import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { certificateFor } from '../src/webhooks/guards/tls.test-util.js'
import { startDaemon, stopAllDaemons } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

const CERT_TTL_S = 15

/** The gateway renews its certificate like every endpoint, and keeps it across a restart. */
describe('zerohook gateway run with short certificates', { timeout: 120_000 }, () => {
  let net: TestNetwork
  let gatewayFile: string
  let configFile: string

  beforeAll(async () => {
    net = await startNetwork(1, { init: ['--grant-ttl', '5', '--cert-ttl', String(CERT_TTL_S)] })
    await net.admin('service', 'create', 'jenkins-webhook')
    await net.policy('gateway-dial', 'dial', '#gateways', '@jenkins-webhook')
    gatewayFile = (await net.identity('gateway', ['gateways'])).file
    const tls = await certificateFor('localhost')
    await writeFile(join(net.dir, 'gw-cert.pem'), tls.cert)
    await writeFile(join(net.dir, 'gw-key.pem'), tls.key, { mode: 0o600 })
    await writeFile(join(net.dir, 'secret.txt'), 'a-secret\n', { mode: 0o600 })
    configFile = join(net.dir, 'gateway.yaml')
    await writeFile(
      configFile,
      stringify({
        listen: '127.0.0.1:0',
        tls: { cert: 'gw-cert.pem', key: 'gw-key.pem' },
        state: './gateway-state',
        routes: [
          {
            path: '/github',
            scheme: 'github',
            secrets: [{ file: 'secret.txt' }],
            target: { service: 'jenkins-webhook', path: '/hook' },
          },
        ],
      }),
    )
  })

  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  const certificateIn = async (file: string) =>
    (JSON.parse(await readFile(file, 'utf8')) as { certificate: string }).certificate

  it('writes each renewed certificate to its identity file, so it starts again after the first expired', async () => {
    const first = await certificateIn(gatewayFile)
    const enrolled = Date.now()
    const args = ['gateway', 'run', '--identity', gatewayFile, '--config', configFile]
    const gateway = startDaemon(args)
    await gateway.waitFor((l) => l.msg === 'gateway listening', 60_000)
    await gateway.waitFor((l) => l.msg === 'certificate renewed', 30_000)
    // The file is written before the renewal is logged.
    expect(await certificateIn(gatewayFile)).not.toBe(first)
    await gateway.stop()
    // Past the first certificate's end: only a saved renewal lets it start.
    await sleep(Math.max(0, enrolled + CERT_TTL_S * 1000 + 500 - Date.now()))
    const again = startDaemon(args)
    await again.waitFor((l) => l.msg === 'gateway listening', 60_000)
    await again.stop()
  })
})
