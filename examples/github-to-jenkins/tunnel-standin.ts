/**
 * Stand-in for `zerohook tunnel host`, used by run.ts only when the CLI in dist/ has no
 * `tunnel` command yet: it hosts SERVICE over the overlay with the SDK and forwards each request
 * to a local HTTP target, like the tunnel does. It opens no listening port.
 *
 * Usage: node --import tsx tunnel-standin.ts IDENTITY_FILE SERVICE http://127.0.0.1:PORT
 */
import { createServer, request } from 'node:http'
import { connect, loadIdentity } from '../../src/sdk/index.js'

const [identityFile, service, to] = process.argv.slice(2)
const target = new URL(to!)
if (target.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
  throw new Error('--to must be http:// on loopback')
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

const proxy = createServer((req, res) => {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    },
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end('upstream unreachable\n')
    else res.destroy()
  })
  req.pipe(upstream)
})

const zh = await connect(await loadIdentity(identityFile!))
await zh.serve(service!, proxy)
print({ msg: 'tunnel host ready', service, to: target.origin })
const stop = () => void zh.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
