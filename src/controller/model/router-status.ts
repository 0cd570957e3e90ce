import type { Db } from '../store/db.js'

/** Where a router said it accepts endpoint connections, and when it last said so. */
export interface RouterStatus {
  address: string | null
  lastSeen: number | null
}

/** Records a router's reported address. */
export function reportRouterStatus(
  db: Db,
  routerId: string,
  address: string,
  now = Date.now(),
): void {
  db.prepare('UPDATE routers SET address = ?, last_seen = ? WHERE id = ?').run(
    address,
    now,
    routerId,
  )
}

/** Every router's reported status, by id. */
export function routerStatuses(db: Db): Map<string, RouterStatus> {
  const rows = db.prepare('SELECT id, address, last_seen FROM routers').all() as {
    id: string
    address: string | null
    last_seen: number | null
  }[]
  return new Map(rows.map((r) => [r.id, { address: r.address, lastSeen: r.last_seen }]))
}
