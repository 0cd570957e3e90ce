/**
 * The quickstart's dark receiver, a child process: the `jenkins` identity serves
 * `jenkins-webhook` over the overlay with a node:http server that never listens. Each webhook is
 * verified (Standard Webhooks signature, timestamp, replay) before it is accepted.
 * Usage: node receiver.js IDENTITY_FILE SERVICE   (secret in $ZEROHOOK_WEBHOOK_SECRET)
 * It prints JSON lines: `ready`, then `verified` or `refused` per webhook.
 */
import { createServer } from 'node:http'
import { getPeerIdentity } from '../../sdk/http/index.js'
import { connect } from '../../sdk/context.js'
import { loadIdentity } from '../../sdk/identity-file.js'
import { createMemoryReplayStore } from '../../webhooks/replay/memory.js'
import { webhookHandler } from '../../webhooks/middleware/node.js'

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)
const [identityFile, service] = process.argv.slice(2)
const secret = process.env.ZEROHOOK_WEBHOOK_SECRET
if (!identityFile || !service || !secret) {
  process.stderr.write(
    'usage: receiver.js IDENTITY_FILE SERVICE (secret in ZEROHOOK_WEBHOOK_SECRET)\n',
  )
  process.exit(2)
}

const server = createServer(
  webhookHandler({
    scheme: 'standard',
    secret,
    replay: createMemoryReplayStore(),
    log: {
      info: (obj) => print({ event: 'refused', code: (obj as { code?: string }).code }),
      error: (obj) => print({ event: 'failed', code: (obj as { code?: string }).code }),
    },
    handler: (webhook, req, res) => {
      const caller = getPeerIdentity(req)
      const body = webhook.body as { type?: string }
      print({
        event: 'verified',
        id: webhook.id,
        type: body.type,
        caller: caller?.identityId,
        name: caller?.name,
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ accepted: webhook.id }))
    },
  }),
)

const zh = await connect(await loadIdentity(identityFile))
await zh.serve(service, server)
print({ event: 'ready', pid: process.pid })
const stop = () => void zh.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
