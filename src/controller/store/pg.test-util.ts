import { describe } from 'vitest'
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * The PostgreSQL server the tests use: $ZEROHOOK_TEST_PG, else the one every machine of this
 * project runs (127.0.0.1:5432, trust auth). Each test file gets a database of its own.
 */
export const PG_ADMIN_URL =
  process.env.ZEROHOOK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Whether PostgreSQL is there; when it is not, its suites are skipped and say so once. */
export const pgAvailable = await probe()
if (!pgAvailable && process.env.ZEROHOOK_REQUIRE_PG === '1')
  throw new Error(
    `PostgreSQL is required (ZEROHOOK_REQUIRE_PG=1) but ${PG_ADMIN_URL} is not reachable`,
  )
if (!pgAvailable)
  process.stderr.write(
    `PostgreSQL not reachable at ${PG_ADMIN_URL}: its store tests are skipped (shown as skipped)\n`,
  )

/** A fresh, empty database and its URL; `drop()` removes it (closing what still uses it). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `zh_t_${randomBytes(6).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${name}`)
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return { url: url.href, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * Declares a suite twice: on SQLite, and on PostgreSQL (shown as skipped, never silently
 * dropped, when no server is reachable). `body` passes `store` on to startTestController.
 */
export function describeStores(title: string, body: (store: { postgres: boolean }) => void): void {
  describe(`${title} [sqlite]`, () => body({ postgres: false }))
  describe.skipIf(!pgAvailable)(`${title} [postgres]`, () => body({ postgres: true }))
}
