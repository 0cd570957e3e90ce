import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSqliteReplayStore,
  webhookHandler,
  type SqliteReplayStore,
} from '../src/webhooks/index.js'

const SCRIPT = resolve(import.meta.dirname, 'helpers/webhooks-sender-process.ts')
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const COUNT = 2000
const KILL_AT = 500

type Child = ChildProcessByStdio<null, Readable, Readable> & {
  lines: Record<string, unknown>[]
  stderr_: string[]
}

/** `node --import tsx` on the sender script; its stdout is JSON lines. */
function startSender(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as Child
  child.lines = []
  child.stderr_ = []
  createInterface({ input: child.stdout }).on('line', (l) =>
    child.lines.push(JSON.parse(l) as Record<string, unknown>),
  )
  child.stderr.on('data', (d: Buffer) => child.stderr_.push(d.toString()))
  return child
}

async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 40_000,
  child?: Child,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; stderr: ${child?.stderr_.join('')}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A port that was free a moment ago: the receiver is "down" on it until it listens. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((r) => probe.close(r))
  return port
}

describe('nothing lost: durable sender, SIGKILL mid-delivery, restart', () => {
  let dir: string
  let server: Server | undefined
  let replay: SqliteReplayStore
  const children: Child[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zh-durable-'))
    replay = createSqliteReplayStore({ database: join(dir, 'replay.db') })
  })
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    server?.closeAllConnections()
    await new Promise((r) => (server ? server.close(r) : r(undefined)))
    await replay.close()
    await rm(dir, { recursive: true, force: true })
  })

  it(
    `delivers all ${COUNT} messages, each processed exactly once`,
    { timeout: 60_000 },
    async () => {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}/hook`
      const outbox = join(dir, 'outbox.db')

      // 1. The receiver is down: the sender queues everything and keeps failing to connect.
      const first = startSender([outbox, url, SECRET, String(COUNT)])
      children.push(first)
      await waitFor('queued', () => first.lines.find((l) => l.queued === COUNT), 40_000, first)
      await new Promise((r) => setTimeout(r, 300))

      // 2. The receiver comes up; at the 500th message it SIGKILLs the sender, mid-delivery.
      const processed = new Map<string, number>()
      let replays = 0
      server = createServer(
        webhookHandler({
          scheme: 'standard',
          secret: SECRET,
          replay,
          log: {
            info: (obj: { code?: string }) =>
              void (obj.code === 'ZH_WEBHOOK_REPLAYED' && replays++),
            error: () => undefined,
          },
          handler: ({ id }) => {
            processed.set(id, (processed.get(id) ?? 0) + 1)
            if (processed.size === KILL_AT) first.kill('SIGKILL')
          },
        }),
      )
      server.listen(port, '127.0.0.1')
      await once(server, 'listening')
      const [, signal] = (await once(first, 'exit')) as [number | null, string | null]
      expect(signal).toBe('SIGKILL')
      expect(processed.size).toBeGreaterThanOrEqual(KILL_AT)
      expect(processed.size).toBeLessThan(COUNT)

      // 3. Restarted, it resumes from its outbox alone (it sends nothing new).
      const second = startSender([outbox, url, SECRET, '0'])
      children.push(second)
      const done = await waitFor('done', () => second.lines.find((l) => l.done), 40_000, second)
      expect(done.done).toMatchObject({ delivered: COUNT, failed: 0, pending: 0, 'in-flight': 0 })

      // Every id arrived, none twice; the message cut by the kill came again and got 409.
      expect(processed.size).toBe(COUNT)
      for (let i = 0; i < COUNT; i++) expect(processed.get(`msg_${i}`), `msg_${i}`).toBe(1)
      expect(replays).toBeGreaterThanOrEqual(1)
    },
  )
})
