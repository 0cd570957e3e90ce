import type { Queryable } from '../store/types.js'

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
