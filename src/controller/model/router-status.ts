import type { Queryable } from '../store/types.js'

/** Where a router said it accepts endpoint connections, and when it last said so. */
export interface RouterStatus {
  address: string | null
  lastSeen: number | null
}

/** Records a router's reported address. */
export async function reportRouterStatus(
  db: Queryable,
  routerId: string,
  address: string,
  now = Date.now(),
): Promise<void> {
  await db.run('UPDATE routers SET address = ?, last_seen = ? WHERE id = ?', [
    address,
    now,
    routerId,
  ])
}

/** Every router's reported status, by id. */
export async function routerStatuses(db: Queryable): Promise<Map<string, RouterStatus>> {
  const rows = await db.all<{ id: string; address: string | null; last_seen: number | null }>(
    'SELECT id, address, last_seen FROM routers',
  )
  return new Map(rows.map((r) => [r.id, { address: r.address, lastSeen: r.last_seen }]))
}
