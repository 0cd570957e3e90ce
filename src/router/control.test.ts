import type { IncomingMessage, ServerResponse } from 'node:http'
import pino from 'pino'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { controllerPool } from '../sdk/controller-pool.js'
import {
  answerJson,
  closedUrl,
  startFakeController,
  type FakeController,
} from '../sdk/controller-pool.test-util.js'
import { createTestNetwork, type TestNetwork } from '../sdk/e2e/e2e.test-util.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { startControlClient, type ControlLine } from './control.js'

/** A controller replica as the router sees it: status accepted, a stream that says who it is. */
function replica(name: string, header?: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST') return answerJson(res, {}, header?.())
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    res.write(`${JSON.stringify({ type: 'hello', routerId: name, revoked: [] })}\n`)
  }
}

describe('router control channel over several controllers', () => {
  let network: TestNetwork
  const started: FakeController[] = []
  const stops: (() => void)[] = []
  let n = 0

  beforeAll(async () => {
    network = await createTestNetwork()
  })
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop()
    await Promise.all(started.splice(0).map((c) => c.close()))
  })

  async function fake(name: string, header?: () => string) {
    const c = await startFakeController(network, replica(name, header))
    started.push(c)
    return c
  }

  async function routerAt(controller: string, controllers?: string[]): Promise<IdentityFile> {
    const id = await network.identity(`router-${++n}`, { kind: 'router' })
    return { ...id, kind: 'router', controller, ...(controllers ? { controllers } : {}) }
  }

  /** Starts the channel; `hellos` lists which replica each stream came from, in order. */
  function connect(identity: IdentityFile) {
    const hellos: string[] = []
    const waiters: (() => void)[] = []
    const control = startControlClient(() => identity, {
      address: () => '127.0.0.1:1',
      onLine: (line: ControlLine) => {
        if (line.type !== 'hello') return
        hellos.push(line.routerId)
        for (const w of waiters.splice(0)) w()
      },
      onState: () => undefined,
      log: pino({ level: 'silent' }),
    })
    stops.push(() => control.close())
    const hello = async (count: number) => {
      while (hellos.length < count) await new Promise<void>((r) => waiters.push(r))
    }
    return { hellos, hello }
  }

  it('opens its stream on the second controller when the first is down', async () => {
    const down = await closedUrl()
    const b = await fake('b')
    const { hellos, hello } = connect(await routerAt(down, [down, b.url]))
    await hello(1)
    expect(hellos).toEqual(['b'])
    expect(b.hits).toEqual(['POST /v1/router/status', 'GET /v1/router/events'])
  })

  it('moves its stream to another controller when the one it was on goes away', async () => {
    const a = await fake('a')
    const b = await fake('b')
    const identity = await routerAt(a.url, [a.url, b.url])
    const { hellos, hello } = connect(identity)
    await hello(1)
    await a.close()
    await hello(2)
    expect(hellos).toEqual(['a', 'b'])
    expect(controllerPool(identity).current()).toBe(b.url)
  })

  it('learns replicas from the controller it reaches, and uses them when it goes away', async () => {
    const b = await fake('b')
    const a = await fake('a', () => b.url)
    // An older identity file: the router only knows `a` until `a` names `b`.
    const { hellos, hello } = connect(await routerAt(a.url))
    await hello(1)
    await a.close()
    await hello(2)
    expect(hellos).toEqual(['a', 'b'])
  })

  it('asks a new stream for the changes after the last one it applied', async () => {
    const paths: string[] = []
    const streams: ServerResponse[] = []
    const c = await startFakeController(network, (req, res) => {
      if (req.method === 'POST') return answerJson(res, {})
      paths.push(req.url!)
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      const line = (o: object) => res.write(`${JSON.stringify(o)}\n`)
      line({ type: 'hello', routerId: 'r', revoked: [], seq: 5 })
      if (paths.length === 1) {
        line({ type: 'change', seq: 6, lost: [], lostRouterAccess: [], revoked: [] })
        line({ type: 'change', seq: 7, lost: [], lostRouterAccess: [], revoked: [] })
      }
      streams.push(res)
    })
    started.push(c)
    const changes: number[] = []
    const identity = await routerAt(c.url)
    const control = startControlClient(() => identity, {
      address: () => '127.0.0.1:1',
      onLine: (line) => {
        if (line.type === 'change') changes.push(line.seq!)
      },
      onState: () => undefined,
      log: pino({ level: 'silent' }),
    })
    stops.push(() => control.close())
    while (changes.length < 2) await new Promise((r) => setTimeout(r, 10))
    streams[0]!.destroy() // the stream dies: the next one asks from change 7 on
    while (paths.length < 2) await new Promise((r) => setTimeout(r, 10))
    expect(paths).toEqual(['/v1/router/events', '/v1/router/events?since=7'])
  })
})
