/**
 * The dark receiver of the example: an orders service that accepts Standard Webhooks only with a
 * valid signature and a fresh timestamp, answers a repeated id with 409 (replay), and is served
 * over the overlay: it connects out to the router and never listens on a port.
 *
 * Prints JSON lines: `ready`, one `webhook` per verified delivery, one `refused` per refusal
 * (with its code only), and the SDK's own lines.
 * Usage: ZEROHOOK_IDENTITY_FILE=... ZEROHOOK_SERVICE=... ZEROHOOK_WEBHOOK_SECRET=whsec_... \
 *   node --import tsx receiver.ts
 */
import { createServer } from 'node:http'
import { connect, getPeerIdentity, loadIdentity, type SdkLog } from 'zerohook'
import { createMemoryReplayStore, webhookHandler } from 'zerohook/webhooks'

const { ZEROHOOK_IDENTITY_FILE: file, ZEROHOOK_SERVICE: service } = process.env
const secret = process.env.ZEROHOOK_WEBHOOK_SECRET
if (!file || !service || !secret)
  throw new Error('set ZEROHOOK_IDENTITY_FILE, ZEROHOOK_SERVICE and ZEROHOOK_WEBHOOK_SECRET')
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)
const sdkLine = (level: string) => (obj: object, msg: string) => print({ level, msg, ...obj })
const log: SdkLog = {
  debug: () => {},
  info: sdkLine('info'),
  warn: sdkLine('warn'),
  error: sdkLine('error'),
}

const handler = webhookHandler({
  scheme: 'standard',
  secret,
  replay: createMemoryReplayStore(),
  log: {
    info: (obj) => print({ event: 'refused', code: (obj as { code?: string }).code }),
    error: (obj) => print({ event: 'error', code: (obj as { code?: string }).code }),
  },
  handler: (webhook, req, res) => {
    const body = webhook.body as { type?: unknown; data?: unknown }
    print({
      event: 'webhook',
      id: webhook.id,
      caller: getPeerIdentity(req)?.name,
      type: body.type,
      data: body.data,
    })
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}')
  },
})

const zh = await connect(await loadIdentity(file), { log })
await zh.serve(service, createServer(handler))
print({ event: 'ready', pid: process.pid })
// The SDK's reconnect timer is unref'd: when the router restarts, a process that only hosts a
// service would have nothing left to keep it running and would exit quietly with code 0. Stay up
// until told to stop.
const alive = setInterval(() => undefined, 60_000)
const stop = () => {
  clearInterval(alive)
  void zh.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
