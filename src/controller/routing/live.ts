import type { PolicySnapshot } from '../policy/types.js'

/** Most circuits, and most terminators, one router lists in a report; the rest are only counted. */
export const MAX_LIVE = 1000

/** One circuit a router relays, as it reports it. */
export interface LiveCircuit {
  /** Unique on that router while it runs. */
  id: string
  /** Service id. */
  service: string
  /** Identity id of the dialer (maybe connected to another router). */
  dialer: string
  /** Identity id of the hosting endpoint, when its terminator is on this router. */
  terminator?: string
  /** The peer router the host leg is forwarded to, when the terminator is elsewhere. */
  via?: string
  /** The peer router the circuit came in from (a transit: the dialer is elsewhere). */
  from?: string
  /** When it opened, ms since the epoch. */
  since: number
}

/** One terminator (a bound endpoint) on a router, with the circuits it carries. */
export interface LiveTerminator {
  service: string
  identity: string
  circuits: number
}

/** The live part of a router's status report. */
export interface LiveReport {
  circuits: LiveCircuit[]
  terminators: LiveTerminator[]
  /** Totals: larger than the lists when they were capped at {@link MAX_LIVE}. */
  circuitCount: number
  terminatorCount: number
}

const ref = { type: 'string', minLength: 1, maxLength: 64 } as const
const count = { type: 'integer', minimum: 0, maximum: 100_000_000 } as const

/** JSON schema properties of the live part of `POST /v1/router/status`: every array bounded. */
export const liveStatusProperties = {
  circuits: {
    type: 'array',
    maxItems: MAX_LIVE,
    items: {
      type: 'object',
      additionalProperties: false,
      properties: {
        id: ref,
        service: ref,
        dialer: ref,
        terminator: ref,
        via: ref,
        from: ref,
        since: { type: 'integer', minimum: 0, maximum: 1e14 },
      },
      required: ['id', 'service', 'dialer', 'since'],
    },
  },
  terminators: {
    type: 'array',
    maxItems: MAX_LIVE,
    items: {
      type: 'object',
      additionalProperties: false,
      properties: { service: ref, identity: ref, circuits: count },
      required: ['service', 'identity', 'circuits'],
    },
  },
  circuitCount: count,
  terminatorCount: count,
} as const

/** The live part of a validated status body; undefined from a router that sends none. */
export function liveFromStatus(body: Record<string, unknown>): LiveReport | undefined {
  if (!Array.isArray(body.circuits) || !Array.isArray(body.terminators)) return undefined
  const circuits = body.circuits as LiveCircuit[]
  const terminators = body.terminators as LiveTerminator[]
  return {
    circuits,
    terminators,
    circuitCount: Math.max((body.circuitCount as number | undefined) ?? 0, circuits.length),
    terminatorCount: Math.max(
      (body.terminatorCount as number | undefined) ?? 0,
      terminators.length,
    ),
  }
}

/** A circuit as `GET /v1/live` shows it: ids with the names the store knows for them. */
export interface NamedCircuit extends LiveCircuit {
  serviceName?: string
  dialerName?: string
  terminatorName?: string
  viaName?: string
  fromName?: string
}

/** One router in `GET /v1/live`. */
export interface LiveRouter {
  id: string
  name: string
  address: string | null
  /** Holds a control channel to some replica: its circuits are as it last reported them. */
  online: boolean
  circuits: NamedCircuit[]
  terminators: (LiveTerminator & { serviceName?: string; identityName?: string })[]
  circuitCount: number
  terminatorCount: number
}

/**
 * Joins every router of the store with the live report of those online, and names what the
 * reports only identify. An offline router shows nothing live: its circuits ended with it.
 *
 * @example
 * const { snapshot, addresses } = await loadSnapshotWithAddresses(db)
 * const routers = liveView(snapshot, addresses, routing.live())
 */
export function liveView(
  snapshot: PolicySnapshot,
  addresses: ReadonlyMap<string, string | null>,
  online: ReadonlyMap<string, LiveReport | undefined>,
): LiveRouter[] {
  const names = (list: readonly { id: string; name: string }[]) =>
    new Map(list.map((e) => [e.id, e.name]))
  const services = names(snapshot.services)
  const identities = names(snapshot.identities)
  const routers = names(snapshot.routers)
  // Spreads only the names that resolved: a deleted identity's circuit keeps its bare id.
  const named = <K extends string>(key: K, id: string | undefined, from: Map<string, string>) => {
    const name = id === undefined ? undefined : from.get(id)
    return (name === undefined ? {} : { [key]: name }) as Partial<Record<K, string>>
  }
  return snapshot.routers.map((r) => {
    const live = online.get(r.id)
    return {
      id: r.id,
      name: r.name,
      address: addresses.get(r.id) ?? null,
      online: online.has(r.id),
      circuits: (live?.circuits ?? []).map((c) => ({
        ...c,
        ...named('serviceName', c.service, services),
        ...named('dialerName', c.dialer, identities),
        ...named('terminatorName', c.terminator, identities),
        ...named('viaName', c.via, routers),
        ...named('fromName', c.from, routers),
      })),
      terminators: (live?.terminators ?? []).map((t) => ({
        ...t,
        ...named('serviceName', t.service, services),
        ...named('identityName', t.identity, identities),
      })),
      circuitCount: live?.circuitCount ?? 0,
      terminatorCount: live?.terminatorCount ?? 0,
    }
  })
}
