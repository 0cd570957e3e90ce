/**
 * A sender process for the "nothing lost" system test, run as
 * `node --import tsx webhooks-sender-process.ts DB URL SECRET COUNT`: with COUNT > 0 it queues
 * COUNT messages (ids msg_0...) in the SQLite outbox DB, then delivers; with COUNT 0 it only
 * resumes what the outbox holds. It prints JSON lines (`queued`, `done`) and exits when no
 * message is left pending or in flight.
 */
import pino from 'pino'
import { createHttpTransport, createSender, createSsrfGuard } from '../../src/webhooks/index.js'

const [database, endpoint, secret, countText] = process.argv.slice(2)
const count = Number(countText)
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

const sender = createSender({
  store: database!,
  signing: { secret: secret! },
  transport: createHttpTransport({
    guard: createSsrfGuard({ allow: ['127.0.0.1/32'], httpsOnly: false }),
    timeoutMs: 5000,
  }),
  // A short schedule for the test: 200 ms, 500 ms, then every second for a minute.
  schedule: [0, 200, 500, ...Array<number>(60).fill(1000)],
  timeoutMs: 5000,
  concurrency: 16,
  // Attempts that fail while the receiver is down are expected; only messages given up are news.
  log: pino({ level: 'error' }, pino.destination(2)),
})

for (let i = 0; i < count; i++) {
  await sender.send({ endpoint: endpoint!, type: 'test.event', data: { i }, id: `msg_${i}` })
}
say({ queued: count })

for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 50))
  const counts = await sender.store.counts()
  if (counts.pending + counts['in-flight'] === 0) {
    say({ done: counts })
    break
  }
}
await sender.close()
