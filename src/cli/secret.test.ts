import { Command } from 'commander'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { secretCommands } from './secret.js'

async function run(...args: string[]): Promise<string> {
  const out: string[] = []
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
  try {
    const program = new Command('zerohook').exitOverride()
    secretCommands(program)
    await program.parseAsync(['node', 'zerohook', 'secret', 'new', ...args])
  } finally {
    spy.mockRestore()
  }
  return out.join('')
}

describe('zerohook secret new', () => {
  afterEach(() => vi.restoreAllMocks())

  it('prints one whsec_ secret, or JSON', async () => {
    expect(await run()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=\n$/)
    const json = JSON.parse(await run('--json')) as Record<string, string>
    expect(Object.keys(json)).toEqual(['secret'])
    expect(json.secret).toMatch(/^whsec_/)
  })

  it('--asymmetric prints a whsk_/whpk_ pair', async () => {
    const human = await run('--asymmetric')
    expect(human).toMatch(/^private key .*:\s+whsk_\S+\npublic key .*:\s+whpk_\S+\n$/)
    const json = JSON.parse(await run('--asymmetric', '--json')) as Record<string, string>
    expect(Object.keys(json).sort()).toEqual(['privateKey', 'publicKey'])
    expect(json.privateKey).toMatch(/^whsk_/)
    expect(json.publicKey).toMatch(/^whpk_/)
  })
})
