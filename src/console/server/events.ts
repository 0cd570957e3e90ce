import type { ServerResponse } from 'node:http'
import type { ControllerClient } from '../../sdk/controller-client.js'

/** How often the controller's live view is read while a page listens, ms. */
const POLL_MS = 1_000
/** A comment line this often keeps proxies and the browser from timing the stream out, ms. */
const HEARTBEAT_MS = 15_000
/** Pages listening at most. */
const MAX_STREAMS = 32

/**
 * Server-sent events for the Live page: while at least one page listens, the controller's
 * `GET /v1/live` is read every second, and each change goes to every page as `event: live`.
 * A failed read is sent as `event: error` with its code, and reading goes on.
 */
export class LiveEvents {
  private readonly streams = new Set<ServerResponse>()
  private timer: NodeJS.Timeout | undefined
  private last = ''
  private busy = false

  constructor(private readonly client: ControllerClient) {}

  /** Takes over a response as an event stream. */
  attach(res: ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) {
      res.writeHead(503).end()
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    this.streams.add(res)
    if (this.last) res.write(`event: live\ndata: ${this.last}\n\n`)
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    res.on('close', () => {
      clearInterval(heartbeat)
      this.streams.delete(res)
      if (this.streams.size === 0) this.stop()
    })
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS)
      void this.poll()
    }
  }

  /** Ends every stream (the console stops). */
  close(): void {
    this.stop()
    for (const res of this.streams) res.end()
    this.streams.clear()
  }

  private stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.last = ''
  }

  private async poll(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const text = JSON.stringify(await this.client.call('GET', '/v1/live'))
      if (text === this.last) return
      this.last = text
      for (const res of this.streams) res.write(`event: live\ndata: ${text}\n\n`)
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ZH_INTERNAL'
      for (const res of this.streams)
        res.write(`event: error\ndata: ${JSON.stringify({ code })}\n\n`)
    } finally {
      this.busy = false
    }
  }
}
