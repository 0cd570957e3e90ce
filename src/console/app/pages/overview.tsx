import { get } from '../api.js'
import { ErrorLine } from '../fields.js'
import { LinkGraph } from '../link-graph.js'
import type {
  Entity,
  Identity,
  Live,
  NetworkInfo,
  RouterLinks,
  RouterPolicy,
  ServicePolicy,
  Session,
  Status,
} from '../types.js'
import { useData } from '../use-data.js'

/** Certificates expiring sooner than this are listed, seconds. */
const SOON_S = 30 * 24 * 3600

async function loadOverview() {
  const [network, status, live, links, identities, services, policies, routerPolicies] =
    await Promise.all([
      get<NetworkInfo>('network'),
      get<Status>('status'),
      get<Live>('live'),
      get<RouterLinks>('router-links'),
      get<{ identities: Identity[] }>('identities'),
      get<{ services: Entity[] }>('services'),
      get<{ policies: ServicePolicy[] }>('service-policies'),
      get<{ policies: RouterPolicy[] }>('router-policies'),
    ])
  return { network, status, live, links, identities, services, policies, routerPolicies }
}

/** Every live replica the controller lists, and the one this console talks to. */
function controllersOf(network: NetworkInfo, own: string): string[] {
  return [...new Set([own, ...network.controllers])]
}

/** The network at a glance: controller, routers and their links, counts, expiring certificates. */
export function OverviewPage(props: { session: Session }) {
  const { data, error } = useData(loadOverview)
  if (!data) return <ErrorLine error={error} />
  const routers = data.live.routers
  const online = routers.filter((r) => r.online).length
  const expiring = data.status.certificates.filter(
    (c) => c.expiresIn !== null && c.expiresIn < SOON_S,
  )
  const circuits = routers.reduce((n, r) => n + r.circuitCount, 0)
  return (
    <>
      <ErrorLine error={error} />
      <dl class="facts">
        <dt>Network</dt>
        <dd>{data.network.network}</dd>
        <dt>Controllers</dt>
        <dd>
          <ul aria-label="Controllers" class="plain">
            {controllersOf(data.network, props.session.controller).map((url) => (
              <li key={url}>
                {url}
                {url === props.session.controller && <span class="muted"> (this console's)</span>}
              </li>
            ))}
          </ul>
        </dd>
        <dt>CA fingerprint</dt>
        <dd>
          <code>{data.network.caFingerprint}</code>
        </dd>
      </dl>
      <section aria-labelledby="counts">
        <h2 id="counts">Counts</h2>
        <ul class="counts">
          <li>
            <strong>{online}</strong> routers online, <strong>{routers.length - online}</strong>{' '}
            offline
          </li>
          <li>
            <strong>{data.identities.identities.length}</strong> identities
          </li>
          <li>
            <strong>{data.services.services.length}</strong> services
          </li>
          <li>
            <strong>{data.policies.policies.length}</strong> service policies,{' '}
            <strong>{data.routerPolicies.policies.length}</strong> router policies
          </li>
          <li>
            <strong>{circuits}</strong> open circuits
          </li>
        </ul>
      </section>
      <section aria-labelledby="routers">
        <h2 id="routers">Routers and links</h2>
        <LinkGraph routers={routers} links={data.links} />
        <table>
          <caption>Routers</caption>
          <thead>
            <tr>
              <th scope="col">Router</th>
              <th scope="col">State</th>
              <th scope="col">Address</th>
              <th scope="col">Links (RTT)</th>
            </tr>
          </thead>
          <tbody>
            {routers.map((r) => {
              const links = data.links.routers.find((l) => l.id === r.id)?.links ?? {}
              const names = Object.entries(links).map(
                ([peer, rtt]) =>
                  `${routers.find((x) => x.id === peer)?.name ?? peer} ${rtt.toFixed(1)} ms`,
              )
              return (
                <tr key={r.id}>
                  <th scope="row">{r.name}</th>
                  <td class={r.online ? 'online' : 'offline'}>{r.online ? 'online' : 'offline'}</td>
                  <td>{r.address ?? '—'}</td>
                  <td>{names.join(', ') || 'none'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="certificates">
        <h2 id="certificates">Certificates expiring within 30 days</h2>
        {expiring.length === 0 && data.status.warnings.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul>
            {expiring.map((c) => (
              <li key={`${c.kind}-${c.id}`}>
                {c.kind} {c.name}: expires {c.notAfter}
                {c.warning ? ` (${c.warning})` : ''}
              </li>
            ))}
            {data.status.warnings
              .filter((w) => !expiring.some((c) => w.startsWith(`${c.kind} ${c.name}:`)))
              .map((w) => (
                <li key={w}>{w}</li>
              ))}
          </ul>
        )}
      </section>
    </>
  )
}
