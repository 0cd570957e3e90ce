/**
 * The example's network on loopback, made with the built CLI as an operator would: a controller,
 * one router (restartable on its port), the service `orders-webhook`, a dial policy for the
 * Lambda's identity and a bind policy for the receiver's.
 */
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { startChild, type Child } from '../../src/cli/quickstart/processes.js'

const root = resolve(import.meta.dirname, '../..')
const CLI = join(root, 'dist/cli/main.js')
export const SERVICE = 'orders-webhook'

/** A background process of the example (controller, router, receiver). */
export type Proc = Child

/** The network, its identity files, and the router's restart. */
export interface Network {
  /** The Lambda's identity (may dial `orders-webhook`). */
  lambdaIdentity: string
  /** The receiver's identity (may bind it). */
  receiverIdentity: string
  /** Stops the router and starts it again on the same port, as a redeploy does. */
  restartRouter(): Promise<Proc>
  router(): Proc
}

/** Runs `node ARGV` to completion. */
function node(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

async function zerohook(args: string[]) {
  const r = await node([CLI, ...args])
  if (r.code !== 0) throw new Error(`zerohook ${args.slice(0, 2).join(' ')}: ${r.stderr.trim()}`)
  return r
}

/** Starts `node ARGV` in the background; `procs` collects it for the final stop. */
export function background(
  procs: Proc[],
  name: string,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Proc {
  const proc = startChild(name, argv, env, root)
  procs.push(proc)
  return proc
}

/** Controller, router, service, policies and two enrolled identities under `dir`. */
export async function startNetwork(
  dir: string,
  procs: Proc[],
  say: (text: string) => void,
): Promise<Network> {
  const ctl = join(dir, 'controller')
  say('controller and router on 127.0.0.1 (ports picked by the OS)')
  await zerohook(['controller', 'init', '--dir', ctl, '--listen', '127.0.0.1:0'])
  const controller = background(procs, 'controller', [CLI, 'controller', 'run', '--dir', ctl])
  await controller.waitFor((l) => l.msg === 'controller listening')
  const admin = (...args: string[]) => zerohook([...args, '--dir', ctl, '--json'])
  await admin('router', 'create', 'router-1', '--out', join(dir, 'router-1.jwt'))
  const routerArgs = (listen: string, enroll: string[]) => [
    CLI,
    'router',
    'run',
    '--dir',
    join(dir, 'router-1'),
    ...enroll,
    '--listen',
    listen,
  ]
  let router = background(
    procs,
    'router',
    routerArgs('127.0.0.1:0', ['--enroll', join(dir, 'router-1.jwt')]),
  )
  const { port } = await router.waitFor((l) => l.msg === 'router listening')
  await router.waitFor((l) => l.msg === 'control channel up')

  say(`service ${SERVICE}: the Lambda may dial it, the receiver may host it`)
  await admin('service', 'create', SERVICE, '--attr', 'orders')
  const policy = (name: string, type: string, identities: string) =>
    admin(
      'policy',
      'create',
      name,
      '--type',
      type,
      '--identities',
      identities,
      '--services',
      '#orders',
    )
  await policy('lambda-dials-orders', 'dial', '#lambda')
  await policy('receiver-hosts-orders', 'bind', '#orders-host')
  const identity = async (name: string, attr: string) => {
    const token = join(dir, `${name}.jwt`)
    const file = join(dir, `${name}.json`)
    await admin('identity', 'create', name, '--attr', attr, '--out', token)
    await zerohook(['enroll', token, '--out', file])
    return file
  }
  return {
    lambdaIdentity: await identity('lambda-sender', 'lambda'),
    receiverIdentity: await identity('orders-receiver', 'orders-host'),
    router: () => router,
    restartRouter: async () => {
      await router.stop()
      procs.splice(procs.indexOf(router), 1)
      router = background(procs, 'router', routerArgs(`127.0.0.1:${String(port)}`, []))
      await router.waitFor((l) => l.msg === 'control channel up')
      return router
    },
  }
}

/** `node --import tsx receiver.ts`: the dark receiver, ready once it has bound the service. */
export async function startReceiver(
  procs: Proc[],
  identity: string,
  secret: string,
): Promise<Proc> {
  const receiver = background(
    procs,
    'receiver',
    ['--import', 'tsx', join(import.meta.dirname, 'receiver.ts')],
    {
      ZEROHOOK_IDENTITY_FILE: identity,
      ZEROHOOK_SERVICE: SERVICE,
      ZEROHOOK_WEBHOOK_SECRET: secret,
    },
  )
  await receiver.waitFor((l) => l.event === 'ready')
  return receiver
}
