import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../errors.test-util.js'
import { storeCompliance } from './compliance.test-util.js'
import { postgresMigrations } from './migrations-postgres.js'
import { openStore } from './open.js'
import { createTestDatabase, pgAvailable, PG_ADMIN_URL } from './pg.test-util.js'

const drops: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const drop of drops) await drop()
})

storeCompliance(
  'postgres',
  async () => {
    const db = await createTestDatabase()
    drops.push(() => db.drop())
    return {
      open: () => openStore(db.url, { poolSize: 25 }),
      replicas: true,
      makeSchemaNewer: async (s) =>
        void (await s.run('UPDATE zh_schema SET version = ?', [postgresMigrations.length + 1])),
      restoreSchema: async (s) =>
        void (await s.run('UPDATE zh_schema SET version = ?', [postgresMigrations.length])),
    }
  },
  !pgAvailable,
)

describe.skipIf(!pgAvailable)('postgres store: bad input at start', () => {
  const url = (patch: (u: URL) => void) => {
    const u = new URL(PG_ADMIN_URL)
    patch(u)
    return u.href
  }

  it('says the server is unreachable, the database missing, or the credentials wrong', async () => {
    expect(
      await codeOf(
        openStore(
          url((u) => (u.port = '1')),
          { connectTimeoutMs: 2000 },
        ),
      ),
    ).toBe('ZH_STORE_UNREACHABLE')
    expect(await codeOf(openStore(url((u) => (u.pathname = '/zh_no_such_db'))))).toBe(
      'ZH_STORE_UNREACHABLE',
    )
    expect(await codeOf(openStore('postgres://%zz@/'))).toBe('ZH_STORE_URL_INVALID')
  })

  it('rolls a failed migration back whole: no table of it is left', async () => {
    const db = await createTestDatabase()
    drops.push(() => db.drop())
    const tables = async () => {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        const r = await client.query<{ t: string }>(
          "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
        return r.rows.map((row) => row.t)
      } finally {
        await client.end()
      }
    }
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query('CREATE TABLE changes (x INTEGER)') // in the way of the first migration
    await client.end()
    expect(await codeOf(openStore(db.url))).toBe('ZH_STORE_MIGRATION_FAILED')
    expect(await tables()).toEqual(['changes'])
  })

  it('migrates once when several replicas start together', async () => {
    const db = await createTestDatabase()
    drops.push(() => db.drop())
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(db.url)))
    const version = await stores[0]!.get<{ version: number }>('SELECT version FROM zh_schema')
    expect(version?.version).toBe(postgresMigrations.length)
    expect((await stores[0]!.all('SELECT * FROM zh_schema')).length).toBe(1)
    for (const s of stores) await s.close()
  })
})
