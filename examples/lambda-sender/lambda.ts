/**
 * The Lambda service's side of one execution environment, on loopback: a fresh Node process
 * running the runtime (runtime.ts, bundled) with Lambda's environment variables, and the
 * Runtime API it polls. As on Lambda, an event queued before the process is up is its cold
 * start's first invocation, and the process is frozen (SIGSTOP) whenever it waits for an event
 * and thawed (SIGCONT) when one comes, so nothing runs between invocations.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** A finished invocation: the handler's result and where its time went. */
export interface Invocation {
  requestId: string
  result: { statusCode: number; body: string }
  /** Event handed to the runtime → its answer received (what Lambda reports as duration). */
  ms: number
  /** The handler's own time, as the runtime measured it. */
  handlerMs: number
  /** The SDK's `zerohook:phase` timings since the previous invocation (init included). */
  phases: { name: string; ms: number }[]
  /** performance.now() of the runner when the answer arrived. */
  doneAt: number
}

/** One execution environment. */
export interface Container {
  readonly name: string
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number
  /**
   * Resolves when the runtime first asked for an event (`ms` since the spawn): Node's own start
   * (`bootMs`), the handler's import (`importMs`), and the runtime's clock then (`readyMs`).
   */
  readonly init: Promise<{ ms: number; bootMs: number; importMs: number; readyMs: number }>
  /** Every JSON line the container printed (the runtime's, and the SDK's log). */
  readonly lines: Record<string, unknown>[]
  /** Invokes the function with `event`, as Lambda does; `requestId` repeats a request (a retry). */
  invoke(event: unknown, requestId?: string): Promise<Invocation>
  /** Resolves once the container is frozen, waiting for its next event. */
  frozen(): Promise<void>
  stop(): Promise<void>
}

/** The runtime's answer to one event: its result or its error, and when it came. */
interface Answer {
  ok: boolean
  body: string
  at: number
}

interface Queued {
  requestId: string
  event: unknown
  /** When the event was handed to the runtime. */
  sentAt?: number
  done: (answer: Answer) => void
}

/** Starts a container: `node bootstrap.mjs` in `taskDir`, with exactly `env` and Lambda's own. */
export async function startContainer(
  name: string,
  taskDir: string,
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<Container> {
  const queue: Queued[] = []
  const inflight = new Map<string, Queued>()
  const lines: Record<string, unknown>[] = []
  let waiting: http.ServerResponse | undefined
  let frozen = false
  const onFrozen = new Set<() => void>()
  let stopping = false
  let markInit!: (at: number) => void
  const initAt = new Promise<number>((resolve) => (markInit = resolve))

  const deliver = () => {
    const item = waiting && queue.shift()
    if (!item || !waiting) return
    if (frozen) {
      child.kill('SIGCONT')
      frozen = false
    }
    inflight.set(item.requestId, item)
    item.sentAt = performance.now()
    waiting
      .writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': item.requestId,
        'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
        'lambda-runtime-invoked-function-arn': `arn:aws:lambda:local:000000000000:function:${name}`,
      })
      .end(JSON.stringify(item.event))
    waiting = undefined
  }

  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const at = performance.now()
      const url = req.url ?? ''
      if (req.method === 'GET' && url.endsWith('/runtime/invocation/next')) {
        markInit(at)
        waiting = res
        if (queue.length > 0) return deliver()
        if (stopping) return
        // Nothing to do: Lambda freezes the environment until the next event.
        child.kill('SIGSTOP')
        frozen = true
        for (const done of onFrozen) done()
        onFrozen.clear()
        return
      }
      const done = /\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)
      const item = done && inflight.get(done[1]!)
      if (item) {
        inflight.delete(item.requestId)
        item.done({ ok: done[2] === 'response', body, at })
      }
      if (url.endsWith('/runtime/init/error')) lines.push({ event: 'init-error', body })
      res.writeHead(202).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  const spawnedAt = performance.now()
  // Lambda's environment only: nothing of the runner's (NODE_OPTIONS, a loader) leaks in.
  const child = spawn(process.execPath, [join(taskDir, 'bootstrap.mjs')], {
    cwd: taskDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      LAMBDA_TASK_ROOT: taskDir,
      _HANDLER: 'index.handler',
      ...env,
    },
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString()
  })
  const waiters = new Set<() => void>()
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      lines.push({ text })
    }
    for (const wake of waiters) wake()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const died = exited.then(() => {
    throw new Error(`container ${name} exited: ${stderr.trim().split('\n').slice(-3).join(' / ')}`)
  })
  died.catch(() => undefined)

  const lineFor = (pred: (l: Record<string, unknown>) => boolean) =>
    Promise.race([
      died,
      new Promise<Record<string, unknown>>((resolve) => {
        const check = () => {
          const hit = lines.find(pred)
          if (!hit) return
          waiters.delete(check)
          resolve(hit)
        }
        waiters.add(check)
        check()
      }),
    ])

  const init = Promise.all([initAt, lineFor((l) => l.event === 'init')]).then(([at, line]) => ({
    ms: at - spawnedAt,
    bootMs: line.bootMs as number,
    importMs: line.importMs as number,
    readyMs: line.readyMs as number,
  }))

  return {
    name,
    spawnedAt,
    init,
    lines,
    invoke: async (event, requestId = randomUUID()) => {
      let item!: Queued
      const answered = new Promise<Answer>((done) => {
        item = { requestId, event, done }
        queue.push(item)
        deliver()
      })
      const answer = await Promise.race([died, answered])
      if (!answer.ok) throw new Error(`the handler threw: ${answer.body}`)
      const line = await lineFor((l) => l.event === 'invoke' && l.requestId === requestId)
      return {
        requestId,
        result: JSON.parse(answer.body) as Invocation['result'],
        ms: answer.at - item.sentAt!,
        handlerMs: line.handlerMs as number,
        phases: line.phases as Invocation['phases'],
        doneAt: answer.at,
      }
    },
    frozen: () => (frozen ? Promise.resolve() : new Promise((done) => onFrozen.add(done))),
    stop: async () => {
      stopping = true
      if (child.exitCode === null && child.signalCode === null) {
        // In this order: a process stopped with a SIGTERM pending would never act on it.
        child.kill('SIGTERM')
        child.kill('SIGCONT')
      }
      await exited
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
