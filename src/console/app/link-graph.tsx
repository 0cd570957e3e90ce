import type { RouterLinks } from './types.js'

/** One router as the graph draws it. */
export interface GraphRouter {
  id: string
  name: string
  online: boolean
}

const SIZE = 360
const RADIUS = 130

/**
 * The routers on a circle, a line for each link with its measured round-trip time. A
 * router's links come from its own report; a link both ends report is drawn once.
 */
export function LinkGraph(props: { routers: GraphRouter[]; links: RouterLinks }) {
  const { routers } = props
  const at = new Map(
    routers.map((r, i) => {
      const angle = (2 * Math.PI * i) / Math.max(routers.length, 1) - Math.PI / 2
      const r0 = routers.length === 1 ? 0 : RADIUS
      return [r.id, { x: SIZE / 2 + r0 * Math.cos(angle), y: SIZE / 2 + r0 * Math.sin(angle) }]
    }),
  )
  const edges = new Map<string, { a: string; b: string; rtt: number }>()
  for (const r of props.links.routers)
    for (const [peer, rtt] of Object.entries(r.links)) {
      const key = [r.id, peer].sort().join(' ')
      if (!edges.has(key) && at.has(peer) && at.has(r.id)) edges.set(key, { a: r.id, b: peer, rtt })
    }
  const label = `${routers.length} routers, ${edges.size} links`
  return (
    <figure class="graph">
      <svg viewBox={`0 0 ${SIZE} ${SIZE}`} role="img" aria-label={label}>
        <title>{label}</title>
        {[...edges.values()].map((e) => {
          const a = at.get(e.a)!
          const b = at.get(e.b)!
          return (
            <g key={`${e.a}-${e.b}`} class="link">
              <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
              <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 4} text-anchor="middle">
                {e.rtt.toFixed(1)} ms
              </text>
            </g>
          )
        })}
        {routers.map((r) => {
          const p = at.get(r.id)!
          return (
            <g key={r.id} class={r.online ? 'node online' : 'node offline'}>
              <circle cx={p.x} cy={p.y} r={14} />
              <text x={p.x} y={p.y + 30} text-anchor="middle">
                {r.name}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  )
}
