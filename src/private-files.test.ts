import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { codeOfSync } from './errors.test-util.js'
import { ensurePrivateDir, ensurePrivateFiles, preparePrivateDatabase } from './private-files.js'

const mode = (path: string) => statSync(path).mode & 0o777
let dir: string
let umask: number

beforeEach(() => {
  umask = process.umask(0o022) // the usual umask: what it leaves, files are 0644 and folders 0755
  dir = mkdtempSync(join(tmpdir(), 'zh-modes-'))
})
afterEach(() => {
  process.umask(umask)
  vi.restoreAllMocks()
  rmSync(dir, { recursive: true, force: true })
})

describe('private files and folders', () => {
  it('creates folders 0700 and refuses an existing one others may enter', () => {
    ensurePrivateDir(join(dir, 'a', 'b'))
    expect(mode(join(dir, 'a'))).toBe(0o700)
    expect(mode(join(dir, 'a', 'b'))).toBe(0o700)
    const shared = join(dir, 'shared')
    mkdirSync(shared, { mode: 0o755 })
    expect(codeOfSync(() => ensurePrivateDir(shared))).toBe('ZH_CONFIG_FILE_MODE')
    expect(mode(shared)).toBe(0o755) // not changed behind the operator's back
  })

  it('creates databases 0600 and narrows an existing one and its journal files, with a warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const fresh = join(dir, 'fresh.db')
    preparePrivateDatabase(fresh)
    expect(mode(fresh)).toBe(0o600)
    expect(warn).not.toHaveBeenCalled()
    const old = join(dir, 'old.db')
    for (const f of [old, `${old}-wal`, `${old}-shm`]) writeFileSync(f, '', { mode: 0o644 })
    preparePrivateDatabase(old)
    for (const f of [old, `${old}-wal`, `${old}-shm`]) expect(mode(f)).toBe(0o600)
    expect(warn).toHaveBeenCalledTimes(3)
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'ZH_CONFIG_FILE_MODE' })
    preparePrivateDatabase(':memory:') // nothing to do
  })

  it('narrows written files that others can read, skips missing ones', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const key = join(dir, 'ca.key')
    writeFileSync(key, 'secret', { mode: 0o640 })
    ensurePrivateFiles([key, join(dir, 'missing')])
    expect(mode(key)).toBe(0o600)
    expect(String(warn.mock.calls[0]![0])).toContain('0640')
    chmodSync(key, 0o600)
    ensurePrivateFiles([key])
    expect(warn).toHaveBeenCalledTimes(1)
  })
})
