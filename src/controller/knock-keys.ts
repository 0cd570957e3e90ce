import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { getMeta, setMeta } from './model/meta.js'
import type { Store } from './store/types.js'

/** The stored form: keys base64url, the current one first; when it was made, ms. */
interface Stored {
  keys: string[]
  rotatedAt: number
}

const META_KEY = 'knock_keys'
/** How often a replica reads the keys again (another replica may have rotated them), ms. */
const RELOAD_MS = 30_000

/** Events of {@link KnockKeys}. */
export interface KnockKeysEvents {
  /** The keys changed: the new current one first, then the one before it. */
  rotated: [keys: string[]]
}

/**
 * The network's knock keys (see `wire/knock.ts`): a current key, and the previous one for as
 * long again, so an endpoint that fetched its keys just before a rotation still gets in. Every
 * `rotationS` seconds a new key is made; whichever replica sees it due first rotates, in the
 * shared store, and the others pick it up when they read it again. Endpoints get the keys with
 * their enrollment, renewals and grants; routers on their control channel (`hello`, then a
 * `knock` line at each rotation).
 *
 * A knock key is not a credential (the certificate is): it is handed to every member of the
 * network, and only keeps routers silent to everyone else. It is kept in the store's `meta`.
 *
 * @example
 * const knock = await startKnockKeys(db, { rotationS: 86_400, log })
 * knock.on('rotated', (keys) => send({ type: 'knock', keys }))
 */
export class KnockKeys extends EventEmitter<KnockKeysEvents> {
  private stored: Stored = { keys: [], rotatedAt: 0 }
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Store,
    private readonly opts: { rotationS: number; log: Logger; now?: () => number },
  ) {
    super()
    this.setMaxListeners(0) // one listener per router control channel
  }

  /** The keys to knock with and accept now: current first, then the previous one. */
  keys(): string[] {
    return [...this.stored.keys]
  }

  /** Loads the keys (making the first ones if the store has none) and starts rotating. */
  async start(): Promise<void> {
    await this.refresh()
    const every = Math.min(RELOAD_MS, (this.opts.rotationS * 1000) / 4)
    this.timer = setInterval(() => void this.refresh().catch(this.warn), Math.max(1000, every))
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Makes a new current key now (the current one becomes the previous one). */
  async rotate(): Promise<string[]> {
    await this.rotateIf(() => true)
    await this.reload()
    return this.keys()
  }

  /** Reads the keys again, and rotates them when they are due (the timer calls it). */
  async refresh(): Promise<void> {
    if (this.due(parse(await getMeta(this.db, META_KEY)))) await this.rotateIf(this.due)
    await this.reload()
  }

  private readonly due = (stored: Stored) =>
    stored.keys.length === 0 || this.now() - stored.rotatedAt >= this.opts.rotationS * 1000

  /** Rotates in one exclusive transaction, if still due there: another replica may just have. */
  private async rotateIf(due: (stored: Stored) => boolean): Promise<void> {
    await this.db.transaction(
      async (tx) => {
        const stored = parse(await getMeta(tx, META_KEY))
        if (!due(stored)) return
        const next = { keys: [newKey(), ...stored.keys.slice(0, 1)], rotatedAt: this.now() }
        await setMeta(tx, META_KEY, JSON.stringify(next))
        this.opts.log.info({ keys: next.keys.length }, 'knock key rotated')
      },
      { exclusive: true },
    )
  }

  private async reload(): Promise<void> {
    const stored = parse(await getMeta(this.db, META_KEY))
    const changed = stored.keys.join() !== this.stored.keys.join()
    this.stored = stored
    if (changed) this.emit('rotated', this.keys())
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  private readonly warn = (err: Error) =>
    this.opts.log.warn({ err: err.message }, 'knock keys not read; retrying')
}

/** Starts the network's knock keys (see {@link KnockKeys}). */
export async function startKnockKeys(
  db: Store,
  opts: { rotationS: number; log: Logger; now?: () => number },
): Promise<KnockKeys> {
  const keys = new KnockKeys(db, opts)
  await keys.start()
  return keys
}

function newKey(): string {
  return randomBytes(32).toString('base64url')
}

function parse(text: string | undefined): Stored {
  if (!text) return { keys: [], rotatedAt: 0 }
  try {
    const v = JSON.parse(text) as Partial<Stored>
    const keys = Array.isArray(v.keys) ? v.keys.filter((k) => typeof k === 'string') : []
    return { keys: keys.slice(0, 2), rotatedAt: typeof v.rotatedAt === 'number' ? v.rotatedAt : 0 }
  } catch {
    return { keys: [], rotatedAt: 0 }
  }
}
