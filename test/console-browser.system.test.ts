import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium, type TestBrowser } from './helpers/chromium.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Zerohook } from '../src/sdk/index.js'
import { loadIdentity } from '../src/sdk/identity-file.js'
import { runCli, startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const SHOTS = resolve(import.meta.dirname, '../test-results/console')

/**
 * The console as an operator uses it: `zerohook console` on a real network, driven in a real
 * (headless) Chromium under the console's CSP: log in with the printed URL, create through the
 * forms, confirm the permission preview, and watch a live circuit close when its dialer goes.
 */
describe('zerohook console in a browser (real processes, Chromium)', { timeout: 60_000 }, () => {
  let net: TestNetwork
  let browser: BrowserContext
  let page: Page
  let loginUrl: string
  let chrome: TestBrowser | undefined
  let sender: Zerohook | undefined
  let receiver: Daemon
  let enrollmentToken = ''
  let problems: string[] = []

  beforeAll(async () => {
    net = await startNetwork(1)
    await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
    const consoleProcess = startDaemon(['console', '--dir', join(net.dir, 'ctl')])
    const line = await consoleProcess.waitFor(
      (l) => typeof l.text === 'string' && l.text.startsWith('open '),
    )
    loginUrl = String(line.text).slice('open '.length)
    await mkdir(SHOTS, { recursive: true })
    chrome = await launchChromium()
    browser = chrome.context
    page = chrome.page
    problems = chrome.problems
  })

  afterAll(async () => {
    await sender?.close()
    await chrome?.close()
    await stopAllDaemons()
    await net?.cleanup()
  })

  const shot = (p: Page, name: string) =>
    p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  const open = async (p: Page, title: string) => {
    await p.getByRole('navigation').getByRole('link', { name: title, exact: true }).click()
    await expect.poll(() => p.getByRole('heading', { level: 1 }).textContent()).toBe(title)
  }

  it('logs in with the printed URL and shows the overview', async () => {
    await page.goto(loginUrl)
    expect(new URL(page.url()).pathname).toBe('/')
    await page.getByText('routers online').waitFor()
    expect(await page.locator('.counts').textContent()).toContain('1 routers online, 0 offline')
    expect(await page.getByRole('img', { name: /1 routers, 0 links/ }).count()).toBe(1)
    // One controller, listed once although the console and the replica list may spell it apart.
    const controllers = page.getByRole('list', { name: 'Controllers' }).getByRole('listitem')
    expect(await controllers.count()).toBe(1)
    expect(await controllers.first().textContent()).toContain("(this console's)")
    await shot(page, 'overview')
  })

  it('creates an identity with the keyboard only (Tab, typing, Enter)', async () => {
    await open(page, 'Identities')
    await page.locator('body').focus()
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab')
      if ((await page.locator('#identity-name:focus').count()) === 1) break
    }
    await page.keyboard.type('github-action')
    await page.keyboard.press('Tab')
    await page.keyboard.type('senders')
    await page.keyboard.press('Tab') // the kind (endpoint)
    await page.keyboard.press('Tab')
    expect(await page.locator(':focus').textContent()).toBe('Create identity')
    await page.keyboard.press('Enter')
    // The preview of what it is granted at once (the network's router policy lets every
    // identity use the router; no service policy names #senders yet); the Confirm button takes
    // the focus once it is shown.
    const confirm = page.getByRole('region', { name: 'Confirm: create identity github-action' })
    await confirm.getByTestId('preview').waitFor()
    const granted = await confirm.getByTestId('preview').textContent()
    expect(granted).toContain('github-action may use router router-1')
    expect(granted).not.toContain('may dial')
    await shot(page, 'identity-create-preview')
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Confirm')
    await page.keyboard.press('Enter')
    const token = page.getByLabel('Enrollment token')
    await token.waitFor()
    enrollmentToken = await token.inputValue()
    expect(enrollmentToken).toMatch(/^ey/)
    await page.locator('tr[data-name="github-action"]').waitFor()
    await shot(page, 'identities')
  })

  it('creates a service and a dial policy, confirming the preview of what it grants', async () => {
    await open(page, 'Services')
    const create = page.getByRole('form', { name: 'Create a service' })
    await create.getByLabel('Name').fill('jenkins-webhook')
    await create.getByLabel('Attributes').fill('webhooks')
    await create.getByRole('button', { name: 'Create service' }).click()
    await page
      .getByRole('region', { name: 'Confirm: create service jenkins-webhook' })
      .getByRole('button', { name: 'Confirm' })
      .click()
    await page.locator('tr[data-name="jenkins-webhook"]').waitFor()
    await shot(page, 'services')

    await open(page, 'Policies')
    const form = page.getByRole('form', { name: 'Create a service policy' })
    await form.getByLabel('Name').fill('senders-dial')
    await form.getByLabel('Type').selectOption('dial')
    await form.getByLabel('Identity roles').fill('#senders')
    await form.getByLabel('Service roles').fill('#webhooks')
    await form.getByRole('button', { name: 'Preview service policy' }).click()
    const preview = page.getByTestId('preview')
    await preview.waitFor()
    expect(await preview.locator('ul.added li').allTextContents()).toEqual([
      '+ github-action may dial jenkins-webhook',
    ])
    expect(await preview.locator('ul.removed li').count()).toBe(0)
    expect(await page.locator('tr[data-name="senders-dial"]').count()).toBe(0) // not saved yet
    await shot(page, 'policy-preview')
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.locator('tr[data-name="senders-dial"]').waitFor()
    await shot(page, 'policies')

    await open(page, 'Access')
    await page.getByLabel('Service', { exact: true }).selectOption({ label: 'jenkins-webhook' })
    const row = page.getByRole('row', { name: /github-action/ })
    await row.waitFor()
    expect(await row.textContent()).toContain('senders-dial')
    await shot(page, 'access')
  })

  it('shows a streaming circuit live, and sees it close within 2 s of deleting its dialer', async () => {
    // Enroll the identity created in the browser with the token the page showed.
    const tokenFile = join(net.dir, 'github-action.jwt')
    await writeFile(tokenFile, enrollmentToken)
    await open(page, 'Identities')
    const idFile = join(net.dir, 'github-action.json')
    const enrolled = await runCli(['enroll', tokenFile, '--out', idFile])
    expect(enrolled.code, enrolled.stderr).toBe(0)
    const jenkins = await net.identity('jenkins', ['receivers'])
    receiver = startFixture('receiver.ts', [jenkins.file, 'jenkins-webhook'])
    await receiver.waitFor((l) => l.event === 'ready')
    sender = await connect(await loadIdentity(idFile))
    const socket = await sender.dial('jenkins-webhook')
    socket.on('error', () => undefined) // the revocation closes it with an error
    socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
    await new Promise((r) => socket.once('data', r))

    const live = await browser.newPage()
    await live.goto(new URL('/live', loginUrl).href)
    const circuit = live.locator('tbody tr[data-circuit]', { hasText: 'github-action' })
    await circuit.waitFor({ timeout: 5_000 })
    expect(await circuit.textContent()).toContain('jenkins-webhook')
    await shot(live, 'live')

    await page.getByRole('button', { name: 'Delete github-action' }).click()
    const preview = page.getByTestId('preview')
    await preview.waitFor()
    expect(await preview.locator('ul.removed li').allTextContents()).toContain(
      '− github-action may dial jenkins-webhook',
    )
    await shot(page, 'identity-delete-preview')
    const started = Date.now()
    await page.getByRole('button', { name: 'Confirm' }).click()
    await circuit.waitFor({ state: 'detached', timeout: 2_000 })
    console.log(`circuit gone from the Live page ${Date.now() - started} ms after confirming`)
    expect(await live.locator('tbody tr[data-circuit]').count()).toBe(0)
    await live.close()
    expect(problems).toEqual([])
  })
})
