import { fork, type ChildProcess } from 'node:child_process'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { connect } from '../src/sdk/context.js'
import type { IdentityFile } from '../src/sdk/identity-file.js'

/** What the parent sends the child to start it. */
interface Start {
  identity: IdentityFile
  service: string
  direct: { serverCert: string; serverKey: string }
}

/**
 * The receiving app in a process of its own, as a real receiver is: an HTTP handler served both
 * over the overlay (`zh.serve`) and as a plain HTTPS server for the direct baseline. With both
 * ends in one process a direct request never wakes another process, while an overlay request
 * wakes the router; here both lanes cross processes as they would in a deployment.
 */
export interface ReceiverProcess {
  /** Port of the direct HTTPS server on 127.0.0.1. */
  httpsPort: number
  stop(): Promise<void>
}

/** Starts the child and waits until it serves `service` on the overlay and HTTPS on loopback. */
export async function startReceiverProcess(start: Start): Promise<ReceiverProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { httpsPort: number }).httpsPort))
    child.once('exit', (code) => reject(new Error(`bench receiver exited with ${code}`)))
  })
  child.send(start)
  const httpsPort = await ready
  return {
    httpsPort,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** The receiving app of the latency benchmarks: reads the body, answers "ok". */
export function benchHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  req.on('end', () => res.end('ok'))
}

async function runChild(start: Start): Promise<void> {
  const zh = await connect(start.identity, { log: pino({ level: 'silent' }) })
  await zh.serve(start.service, createHttpServer(benchHandler))
  const https = createHttpsServer(
    { cert: start.direct.serverCert, key: start.direct.serverKey },
    benchHandler,
  )
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  process.send!({ httpsPort: (https.address() as AddressInfo).port })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    https.close()
    void zh.close().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  // A parent that died without stopping us must not leave a server listening.
  process.once('disconnect', stop)
}

if (process.argv[2] === '--child') {
  process.once('message', (m) => void runChild(m as Start))
}
