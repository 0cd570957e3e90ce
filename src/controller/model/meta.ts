import type { Queryable } from '../store/types.js'

/** Reads a value from the `meta` table. */
export async function getMeta(db: Queryable, key: string): Promise<string | undefined> {
  return (await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value
}

/** Writes a value to the `meta` table. */
export async function setMeta(db: Queryable, key: string, value: string): Promise<void> {
  await db.run(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  )
}
