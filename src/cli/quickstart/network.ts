import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { initController } from '../../controller/init.js'
import { writeSecretFile } from '../../pki/files.js'
import { ControllerClient } from '../../sdk/controller-client.js'
import { loadIdentity } from '../../sdk/identity-file.js'
import { startChild, type Child } from './processes.js'

/** The CLI entry point the children run: the same build as this process. */
const CLI = join(import.meta.dirname, '..', 'main.js')
const RECEIVER = join(import.meta.dirname, 'receiver.js')

/** The processes and files of the quickstart network, and how to stop them all. */
export class QuickstartNetwork {
  readonly children: Child[] = []
  admin!: ControllerClient
  url = ''
  router: Child | undefined
  receiver: Child | undefined

  constructor(readonly dir: string) {}

  file(name: string): string {
    return join(this.dir, name)
  }

  /** `controller init` in process: CA, controller certificate, grant key, admin identity. */
  async init(): Promise<void> {
    await initController({ dir: this.dir, network: 'quickstart', listen: '127.0.0.1:0' })
  }

  /** `zerohook controller run` as a child; resolves its URL once it listens. */
  async startController(): Promise<string> {
    const child = this.spawn('controller', [CLI, 'controller', 'run', '--dir', this.dir])
    const ready = await child.waitFor((l) => l.msg === 'controller listening')
    this.url = String(ready.url)
    this.admin = new ControllerClient(await loadIdentity(this.file('admin.json')))
    return this.url
  }

  /**
   * Creates a router, then `zerohook router run --enroll` as a child; resolves its address. Its
   * debug capture is on, so the quickstart can show that what it relays is ciphertext.
   */
  async startRouter(name: string): Promise<string> {
    const created = await this.admin.call<{ enrollment: { token: string } }>(
      'POST',
      '/v1/routers',
      { name, attributes: [] },
    )
    const token = this.file(`${name}.jwt`)
    await writeSecretFile(token, `${created.enrollment.token}\n`)
    const dir = this.file(name)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const args = ['router', 'run', '--dir', dir, '--enroll', token, '--listen', '127.0.0.1:0']
    args.push('--capture', this.file(`${name}.capture`))
    const child = this.spawn(name, [CLI, ...args])
    const listening = await child.waitFor((l) => l.msg === 'router listening')
    await child.waitFor((l) => l.msg === 'control channel up')
    this.router = child
    return String(listening.address)
  }

  /** The dark receiver as a child: serves `service` with `identityFile`, verifying webhooks. */
  async startReceiver(identityFile: string, service: string, secret: string): Promise<Child> {
    const child = this.spawn('receiver', [RECEIVER, identityFile, service], {
      ZEROHOOK_WEBHOOK_SECRET: secret,
    })
    await child.waitFor((l) => l.event === 'ready')
    this.receiver = child
    return child
  }

  /** Stops every child, newest first (receiver, router, controller). */
  async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) await child.stop()
  }

  private spawn(name: string, argv: string[], env: NodeJS.ProcessEnv = {}): Child {
    const child = startChild(name, argv, env)
    this.children.push(child)
    return child
  }
}
