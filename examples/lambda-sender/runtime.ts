/**
 * A stand-in for the Lambda Node.js runtime inside one execution environment: it imports the
 * function (`_HANDLER` = `file.export`, from `LAMBDA_TASK_ROOT`) and loops on the Lambda Runtime
 * API at `AWS_LAMBDA_RUNTIME_API` as the real runtime does: GET the next event, call the handler
 * with (event, context), POST its result. run.ts bundles it to plain JavaScript, so a container's
 * start is Node's own plus this file's, as with Lambda's runtime.
 *
 * Unlike the real one it also prints where the time went, one JSON line on stdout (Lambda's
 * log stream) for the init and one per invocation, with the SDK's `zerohook:phase` timings.
 */
import { subscribe } from 'node:diagnostics_channel'
import http from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

interface Phase {
  name: string
  ms: number
}
type Handler = (event: unknown, context: object) => Promise<unknown>

// Node's own start, from the process's time origin to this line.
const bootMs = performance.now()
const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`
const agent = new http.Agent({ keepAlive: true })
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

// Subscribed before the handler is imported: its connect starts during init.
const phases: Phase[] = []
subscribe('zerohook:phase', (message) => phases.push(message as Phase))

function call(
  method: string,
  path: string,
  body?: string,
): Promise<{ headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${api}${path}`, { method, agent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ headers: res.headers, body: text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const header = (h: http.IncomingHttpHeaders, name: string) => String(h[name] ?? '')

async function load(): Promise<Handler> {
  const [file, name] = (process.env._HANDLER ?? 'index.handler').split('.')
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd()
  const mod = (await import(pathToFileURL(join(root, `${file}.mjs`)).href)) as Record<
    string,
    unknown
  >
  const fn = mod[name ?? 'handler']
  if (typeof fn !== 'function') throw new Error(`${file}.mjs exports no function ${name}`)
  return fn as Handler
}

async function main(): Promise<void> {
  const importing = performance.now()
  let fn: Handler
  try {
    fn = await load()
  } catch (err) {
    const errorMessage = err instanceof Error ? err.message : String(err)
    await call('POST', '/init/error', JSON.stringify({ errorType: 'InitError', errorMessage }))
    process.exit(1)
  }
  const importMs = performance.now() - importing
  print({ event: 'init', bootMs, importMs, readyMs: performance.now() })
  for (;;) {
    const next = await call('GET', '/invocation/next')
    const requestId = header(next.headers, 'lambda-runtime-aws-request-id')
    const deadline = Number(header(next.headers, 'lambda-runtime-deadline-ms'))
    const context = {
      awsRequestId: requestId,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    }
    const started = performance.now()
    let outcome: { path: string; body: string }
    try {
      const result = await fn(JSON.parse(next.body) as unknown, context)
      outcome = { path: 'response', body: JSON.stringify(result) }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      outcome = {
        path: 'error',
        body: JSON.stringify({ errorType: e.name, errorMessage: e.message }),
      }
    }
    const handlerMs = performance.now() - started
    await call('POST', `/invocation/${requestId}/${outcome.path}`, outcome.body)
    // After the answer, so that printing is not part of the invocation's time.
    print({ event: 'invoke', requestId, handlerMs, phases: phases.splice(0) })
  }
}

await main()
