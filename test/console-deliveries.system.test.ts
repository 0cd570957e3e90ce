import { createServer, type Server } from 'node:http'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { launchChromium, type TestBrowser } from './helpers/chromium.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createHttpTransport,
  createSender,
  createSsrfGuard,
  type Sender,
} from '../src/webhooks/index.js'
import { startDaemon, stopAllDaemons } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

const SHOTS = resolve(import.meta.dirname, '../test-results/console')

/**
 * Issue 14's delivery acceptance: a durable sender's outbox given to `zerohook console
 * --outbox`, a message that went dead (the receiver answered 410 Gone), replayed from the
 * Deliveries page in Chromium once the receiver is back, and seen delivered there.
 */
describe(
  'console deliveries in a browser (real console process, Chromium)',
  { timeout: 60_000 },
  () => {
    let net: TestNetwork
    let hooks: Server
    let sender: Sender
    let chrome: TestBrowser | undefined
    let page: Page
    let id: string
    let gone = true

    beforeAll(async () => {
      net = await startNetwork(0)
      hooks = createServer((req, res) => {
        req.resume()
        res.writeHead(gone ? 410 : 200).end()
      })
      await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r))
      const endpoint = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`
      const outbox = join(net.dir, 'outbox.db')
      sender = createSender({
        store: outbox,
        signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
        transport: createHttpTransport({
          guard: createSsrfGuard({ allow: ['127.0.0.1/32'], httpsOnly: false }),
        }),
      })
      id = await sender.send({ endpoint, type: 'invoice.paid', data: { n: 1 } })
      await sender.drain()
      expect((await sender.store.get(id))?.state).toBe('disabled') // 410: the endpoint is gone
      gone = false
      const consoleProcess = startDaemon([
        'console',
        '--dir',
        join(net.dir, 'ctl'),
        '--outbox',
        outbox,
      ])
      const line = await consoleProcess.waitFor(
        (l) => typeof l.text === 'string' && l.text.startsWith('open '),
      )
      await mkdir(SHOTS, { recursive: true })
      chrome = await launchChromium()
      page = chrome.page
      await page.goto(String(line.text).slice('open '.length))
    })

    afterAll(async () => {
      await chrome?.close()
      await sender?.close()
      await stopAllDaemons()
      await new Promise((r) => hooks?.close(r))
      await net?.cleanup()
    })

    it('replays a dead message and shows it delivered', async () => {
      await page
        .getByRole('navigation')
        .getByRole('link', { name: 'Deliveries', exact: true })
        .click()
      await page.getByLabel('State').selectOption('disabled')
      await page.getByRole('button', { name: 'Filter' }).click()
      await page.locator(`tr[data-id="${id}"][data-state="disabled"]`).waitFor()
      await page.getByRole('button', { name: `Replay ${id}` }).click()
      await page.screenshot({ path: join(SHOTS, 'deliveries-replay.png'), fullPage: true })
      await page
        .getByRole('region', { name: `Confirm: replay ${id}` })
        .getByRole('button', { name: 'Replay' })
        .click()
      await page.getByLabel('State').selectOption('')
      await page.getByRole('button', { name: 'Filter' }).click()
      const started = Date.now()
      await page.locator(`tr[data-id="${id}"][data-state="delivered"]`).waitFor()
      console.log(`replayed message shown delivered after ${Date.now() - started} ms`)
      await page.screenshot({ path: join(SHOTS, 'deliveries.png'), fullPage: true })
      expect((await sender.store.get(id))?.state).toBe('delivered')
      expect(await sender.store.attempts(id)).toHaveLength(2)
      expect(chrome!.problems).toEqual([])
    })
  },
)
