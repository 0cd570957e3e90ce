import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  answerJson,
  closedUrl,
  startFakeController,
  type FakeController,
} from '../../sdk/controller-pool.test-util.js'
import { createTestNetwork } from '../../sdk/e2e/e2e.test-util.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { startStatusReporter } from './status.js'

describe('status reporter over several controllers', () => {
  let b: FakeController
  let identity: IdentityFile
  beforeAll(async () => {
    const network = await createTestNetwork()
    b = await startFakeController(network, (_req, res) => answerJson(res, {}))
    const down = await closedUrl()
    const own = await network.identity('status-router', { kind: 'router' })
    identity = { ...own, kind: 'router', controller: down, controllers: [down, b.url] }
  })
  afterAll(() => b.close())

  it('reports to the second controller when the first is down', async () => {
    const reporter = startStatusReporter(() => identity, {
      status: () => ({ address: '127.0.0.1:1', links: {}, services: {}, load: 0 }),
      log: pino({ level: 'silent' }),
    })
    try {
      reporter.kick()
      await expect.poll(() => b.hits, { timeout: 5_000 }).toEqual(['POST /v1/router/status'])
    } finally {
      reporter.close()
    }
  })
})
