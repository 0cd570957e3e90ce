import { useState } from 'preact/hooks'
import { describeError, get } from '../api.js'
import { ErrorLine } from '../fields.js'
import type { Entity, Identity, IdentityAccess, ServiceAccess } from '../types.js'
import { useData } from '../use-data.js'

/** Who can reach what: the identities that may dial or bind a service, or an identity's services. */
export function AccessPage() {
  const services = useData(() => get<{ services: Entity[] }>('services'))
  const identities = useData(() => get<{ identities: Identity[] }>('identities'))
  const [service, setService] = useState<ServiceAccess>()
  const [identity, setIdentity] = useState<IdentityAccess>()
  const [error, setError] = useState<string>()

  function pick<T>(path: string, set: (v: T | undefined) => void) {
    setError(undefined)
    if (!path) return set(undefined)
    get<T>(path).then(set, (e: unknown) => setError(describeError(e)))
  }

  return (
    <>
      <ErrorLine error={services.error ?? identities.error ?? error} />
      <section aria-labelledby="by-service">
        <h2 id="by-service">Who may reach a service</h2>
        <p class="field">
          <label for="access-service">Service</label>
          <select
            id="access-service"
            onChange={(e) => {
              const v = e.currentTarget.value
              pick<ServiceAccess>(v && `services/${v}/access`, setService)
            }}
          >
            <option value="">Choose a service</option>
            {services.data?.services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </p>
        {service && (
          <table>
            <caption>Identities that may use {service.service.name}</caption>
            <thead>
              <tr>
                <th scope="col">Identity</th>
                <th scope="col">Action</th>
                <th scope="col">Through policies</th>
              </tr>
            </thead>
            <tbody>
              {(['dial', 'bind'] as const).flatMap((action) =>
                service[action].map((g) => (
                  <tr key={`${action}-${g.identity.id}`}>
                    <th scope="row">{g.identity.name}</th>
                    <td>{action}</td>
                    <td>{g.policies.join(', ')}</td>
                  </tr>
                )),
              )}
              {service.dial.length + service.bind.length === 0 && (
                <tr>
                  <td colSpan={3}>Nobody: no policy matches this service.</td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="by-identity">
        <h2 id="by-identity">What an identity may reach</h2>
        <p class="field">
          <label for="access-identity">Identity</label>
          <select
            id="access-identity"
            onChange={(e) => {
              const v = e.currentTarget.value
              pick<IdentityAccess>(v && `identities/${v}/access`, setIdentity)
            }}
          >
            <option value="">Choose an identity</option>
            {identities.data?.identities.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </p>
        {identity && (
          <>
            <table>
              <caption>Services {identity.identity.name} may use</caption>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Action</th>
                  <th scope="col">Through policies</th>
                </tr>
              </thead>
              <tbody>
                {identity.services.flatMap((s) =>
                  s.actions.map((a) => (
                    <tr key={`${s.service.id}-${a.action}`}>
                      <th scope="row">{s.service.name}</th>
                      <td>{a.action}</td>
                      <td>{a.policies.join(', ')}</td>
                    </tr>
                  )),
                )}
                {identity.services.length === 0 && (
                  <tr>
                    <td colSpan={3}>None: no policy matches this identity.</td>
                  </tr>
                )}
              </tbody>
            </table>
            <table>
              <caption>Routers {identity.identity.name} may use</caption>
              <thead>
                <tr>
                  <th scope="col">Router</th>
                  <th scope="col">Through policies</th>
                </tr>
              </thead>
              <tbody>
                {identity.routers.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">{r.name}</th>
                    <td>{r.policies.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </>
  )
}
