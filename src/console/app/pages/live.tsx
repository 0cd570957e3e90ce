import { useEffect, useState } from 'preact/hooks'
import type { Live } from '../types.js'

/** Circuits and terminators per router, as the console's event stream pushes them. */
export function LivePage() {
  const [live, setLive] = useState<Live>()
  const [problem, setProblem] = useState<string>()

  useEffect(() => {
    const events = new EventSource('/api/events')
    events.addEventListener('live', (e) => {
      setLive(JSON.parse((e as MessageEvent<string>).data) as Live)
      setProblem(undefined)
    })
    events.addEventListener('error', (e) => {
      const data = (e as MessageEvent<string | undefined>).data
      setProblem(
        data
          ? `The controller did not answer (${(JSON.parse(data) as { code: string }).code}).`
          : 'Reconnecting to the console…',
      )
    })
    return () => events.close()
  }, [])

  return (
    <>
      <p role="status" class={problem ? 'error' : 'muted'}>
        {problem ?? (live ? 'Live: updates as circuits open and close.' : 'Connecting…')}
      </p>
      {live?.routers.map((r) => (
        <section key={r.id} aria-labelledby={`live-${r.id}`} class="router">
          <h2 id={`live-${r.id}`}>
            {r.name}{' '}
            <span class={r.online ? 'online' : 'offline'}>{r.online ? 'online' : 'offline'}</span>
          </h2>
          <p class="muted">
            {r.address ?? 'no address'} · {r.circuitCount} circuits · {r.terminatorCount}{' '}
            terminators
          </p>
          <table data-testid={`circuits-${r.name}`}>
            <caption>Circuits on {r.name}</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Dialer</th>
                <th scope="col">Terminator</th>
                <th scope="col">Via</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {r.circuits.map((c) => (
                <tr key={c.id} data-circuit={c.id}>
                  <th scope="row">{c.serviceName ?? c.service}</th>
                  <td>{c.dialerName ?? c.dialer}</td>
                  <td>{c.terminatorName ?? c.terminator ?? '—'}</td>
                  <td>{c.viaName ?? c.via ?? '—'}</td>
                  <td>
                    <time dateTime={c.since}>{new Date(c.since).toLocaleTimeString()}</time>
                  </td>
                </tr>
              ))}
              {r.circuits.length === 0 && (
                <tr>
                  <td colSpan={5}>No circuits.</td>
                </tr>
              )}
            </tbody>
          </table>
          <table>
            <caption>Terminators on {r.name}</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Binder</th>
                <th scope="col">Circuits</th>
              </tr>
            </thead>
            <tbody>
              {r.terminators.map((t) => (
                <tr key={`${t.service}-${t.identity}`}>
                  <th scope="row">{t.serviceName ?? t.service}</th>
                  <td>{t.identityName ?? t.identity}</td>
                  <td>{t.circuits}</td>
                </tr>
              ))}
              {r.terminators.length === 0 && (
                <tr>
                  <td colSpan={3}>No terminators.</td>
                </tr>
              )}
            </tbody>
          </table>
        </section>
      ))}
    </>
  )
}
