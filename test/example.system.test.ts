import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startProcess } from './helpers/cli.js'

const SCRIPT = resolve(import.meta.dirname, '../examples/github-to-jenkins/run.ts')

interface Accepted {
  event: string
  delivery: string
  githubEvent: string
  ref: string
  repository: string
}

/** examples/github-to-jenkins/run.ts as a user runs it: its own network, processes and checks. */
describe('examples/github-to-jenkins', { timeout: 300_000 }, () => {
  it('delivers a push by `zerohook send` and by the action to the dark Jenkins, and refuses forgeries', async () => {
    const run = startProcess(['--import', 'tsx', SCRIPT])
    const exited = new Promise<number | null>((done) => run.child.once('exit', done))
    const summary = await run.waitFor((l) => 'ok' in l, 280_000)
    // Let it stop its own network and remove its directory, then check it exited cleanly.
    expect(await exited).toBe(0)
    expect(summary.ok).toBe(true)
    const send = summary.send as { id: string; status: number; jenkins: Accepted }
    const action = summary.action as { jenkins: Accepted }
    // Jenkins printed these only after its own X-Hub-Signature-256 check passed.
    expect(send.status).toBe(200)
    expect(send.jenkins).toMatchObject({
      event: 'accepted',
      delivery: send.id,
      githubEvent: 'push',
      ref: 'refs/heads/main',
      repository: 'acme/app',
    })
    expect(action.jenkins).toMatchObject({ event: 'accepted', githubEvent: 'push' })
    expect(action.jenkins.delivery).not.toBe(send.id)
    // The tunnel refused the overlay forgery; Jenkins's own check refused the local one.
    expect(summary.forged).toMatchObject({ local: 403 })
  })
})
