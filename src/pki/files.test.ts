import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writePublicFile, writeSecretFile } from './files.js'
import { tempDir } from './pki.test-util.js'

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe.skipIf(process.platform === 'win32')('writeSecretFile / writePublicFile', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let umask: number
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    umask = process.umask()
  })
  afterEach(async () => {
    process.umask(umask)
    await cleanup()
  })

  it('writes a secret 0600 even under a permissive umask, creating parents 0700', async () => {
    process.umask(0)
    const path = join(dir, 'a', 'b', 'ca.key')
    await writeSecretFile(path, 'secret')
    expect(await readFile(path, 'utf8')).toBe('secret')
    expect(await mode(path)).toBe(0o600)
    expect(await mode(join(dir, 'a'))).toBe(0o700)
    expect(await mode(join(dir, 'a', 'b'))).toBe(0o700)
  })

  it('writes a public file 0644 even under a strict umask', async () => {
    process.umask(0o077)
    const path = join(dir, 'ca.crt')
    await writePublicFile(path, 'cert')
    expect(await mode(path)).toBe(0o644)
  })

  it('replaces an existing world-readable file with a 0600 one', async () => {
    const path = join(dir, 'id.key')
    await writeFile(path, 'old', { mode: 0o644 })
    await writeSecretFile(path, 'new')
    expect(await readFile(path, 'utf8')).toBe('new')
    expect(await mode(path)).toBe(0o600)
  })

  it('replaces a symlink instead of writing through it', async () => {
    const victim = join(dir, 'victim')
    await writeFile(victim, 'untouched', { mode: 0o644 })
    const path = join(dir, 'link.key')
    await symlink(victim, path)
    await writeSecretFile(path, 'secret')
    expect(await readFile(victim, 'utf8')).toBe('untouched')
    expect((await lstat(path)).isSymbolicLink()).toBe(false)
    expect(await readFile(path, 'utf8')).toBe('secret')
  })

  it('leaves no temporary file behind, on success or failure', async () => {
    await writeSecretFile(join(dir, 'ok.key'), 'x')
    const target = join(dir, 'taken')
    await mkdir(join(target, 'child'), { recursive: true })
    await expect(writeSecretFile(target, 'x')).rejects.toThrow()
    expect((await readdir(dir)).sort()).toEqual(['ok.key', 'taken'])
  })
})
