import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { certificateFor } from '../src/webhooks/guards/tls.test-util.js'
import { launchChromium, type TestBrowser } from './helpers/chromium.js'
import { startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { rawRequest } from './helpers/https.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const SHOTS = resolve(import.meta.dirname, '../test-results/console')
const SECRET = 'gh-webhook-secret-for-the-console-test'

/**
 * Issue 14's Deliveries for a gateway: a webhook the gateway could not forward (no receiver
 * served the service) ends failed in its queue; `zerohook console --gateway URL` shows it with
 * its attempts in Chromium, and a replay from the page, once the receiver is up, delivers it.
 */
describe(
  'console deliveries of a gateway (real gateway, console and receiver processes, Chromium)',
  { timeout: 180_000 },
  () => {
    let net: TestNetwork
    let gateway: Daemon
    let receiverFile: string
    let chrome: TestBrowser | undefined
    let page: Page
    let gatewayId: string
    const delivery = randomUUID()

    beforeAll(async () => {
      net = await startNetwork(1)
      await net.admin('service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
      await net.policy('gateway-dial', 'dial', '#gateways', '@jenkins-webhook')
      await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
      receiverFile = (await net.identity('jenkins', ['receivers'])).file
      const gatewayFile = (await net.identity('gateway', ['gateways'])).file
      const tls = await certificateFor('localhost')
      await writeFile(join(net.dir, 'gw-cert.pem'), tls.cert)
      await writeFile(join(net.dir, 'gw-key.pem'), tls.key, { mode: 0o600 })
      await writeFile(join(net.dir, 'gh-secret.txt'), SECRET, { mode: 0o600 })
      const token = randomBytes(32).toString('base64url')
      await writeFile(join(net.dir, 'admin.token'), `${token}\n`, { mode: 0o600 })
      const configFile = join(net.dir, 'gateway.yaml')
      await writeFile(
        configFile,
        stringify({
          listen: '127.0.0.1:0',
          tls: { cert: 'gw-cert.pem', key: 'gw-key.pem' },
          state: './gateway-state',
          // Two quick attempts, then the webhook is failed: it waits for the operator.
          forward: { timeoutMs: 3000, delaysMs: [0, 200], maxAttempts: 2 },
          routes: [
            {
              path: '/github',
              scheme: 'github',
              secrets: [{ file: 'gh-secret.txt' }],
              target: { service: 'jenkins-webhook', path: '/github-webhook/' },
            },
          ],
          admin: { listen: '127.0.0.1:0', token: { file: 'admin.token' } },
        }),
      )
      gateway = startDaemon(['gateway', 'run', '--identity', gatewayFile, '--config', configFile])
      const ready = await gateway.waitFor((l) => l.msg === 'gateway listening', 60_000)
      expect(ready.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

      const body = JSON.stringify({ ref: 'refs/heads/main' })
      const answer = await rawRequest(`https://127.0.0.1:${ready.port as number}`, {
        method: 'POST',
        path: '/github',
        body,
        ca: tls.cert,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
      })
      expect(answer.status).toBe(202) // stored: no receiver serves the service yet
      gatewayId = (answer.body as { id: string }).id
      await gateway.waitFor((l) => l.msg === 'gateway failed' && l.id === gatewayId, 30_000)

      const consoleProcess = startDaemon([
        'console',
        '--dir',
        join(net.dir, 'ctl'),
        '--gateway',
        String(ready.admin),
        '--gateway-token-file',
        join(net.dir, 'admin.token'),
      ])
      const line = await consoleProcess.waitFor(
        (l) => typeof l.text === 'string' && l.text.startsWith('open '),
      )
      expect(JSON.stringify(consoleProcess.lines)).not.toContain(token)
      expect(JSON.stringify(gateway.lines)).not.toContain(token)
      await mkdir(SHOTS, { recursive: true })
      chrome = await launchChromium()
      page = chrome.page
      await page.goto(String(line.text).slice('open '.length))
    })

    afterAll(async () => {
      await chrome?.close()
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('shows the failed webhook with its attempts, and replays it to delivered', async () => {
      await page
        .getByRole('navigation')
        .getByRole('link', { name: 'Deliveries', exact: true })
        .click()
      await page.getByLabel('State').selectOption('failed')
      await page.getByRole('button', { name: 'Filter' }).click()
      const row = page.locator(`tr[data-id="${gatewayId}"][data-state="failed"]`)
      await row.waitFor()
      const attempts = page.getByRole('list', { name: `Attempts of ${gatewayId}` })
      expect(await attempts.getByRole('listitem').count()).toBe(2)
      expect(await attempts.textContent()).toContain('ZH_ROUTER_NO_TERMINATOR')
      expect(await row.textContent()).toContain('jenkins-webhook/github-webhook/')

      const receiver = startFixture('gateway-receiver.ts', [receiverFile, 'jenkins-webhook'])
      await receiver.waitFor((l) => l.event === 'ready', 60_000)
      await page.getByRole('button', { name: `Replay ${gatewayId}` }).click()
      await page
        .getByRole('region', { name: `Confirm: replay ${gatewayId}` })
        .getByRole('button', { name: 'Replay' })
        .click()
      await page.getByLabel('State').selectOption('')
      await page.getByRole('button', { name: 'Filter' }).click()
      const started = Date.now()
      await page.locator(`tr[data-id="${gatewayId}"][data-state="delivered"]`).waitFor()
      console.log(`replayed gateway webhook shown delivered after ${Date.now() - started} ms`)
      await page.screenshot({ path: join(SHOTS, 'deliveries-gateway.png'), fullPage: true })
      const got = await receiver.waitFor(
        (l) =>
          l.event === 'request' &&
          (l.headers as Record<string, string>)['x-github-delivery'] === delivery,
        30_000,
      )
      expect((got.headers as Record<string, string>)['x-zerohook-gateway-id']).toBe(gatewayId)
      expect(await attempts.getByRole('listitem').count()).toBe(3)
      expect(chrome!.problems).toEqual([])
    })
  },
)
