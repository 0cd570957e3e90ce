import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/** The package's public surface, as a user's `import` resolves it through the exports map. */
describe('package exports', () => {
  it.each([
    ['zerohook', ['connect', 'loadIdentity', 'enrollWithToken', 'ZhError']],
    ['zerohook/webhooks', ['signWebhook', 'verifyWebhook', 'createSender']],
    ['zerohook/controller', ['initController', 'runController', 'verifyGrant']],
    ['zerohook/router', ['startRouter']],
  ])('%s exports its entry points', (specifier, names) => {
    const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '..'),
    })
    const keys = JSON.parse(out.toString()) as string[]
    for (const name of names) expect(keys).toContain(name)
  })
})
