import { useEffect, useRef, useState } from 'preact/hooks'
import { call, describeError } from '../api.js'
import { ErrorLine, TextField } from '../fields.js'
import type { Session } from '../types.js'
import { useData } from '../use-data.js'

/** One message of the sender's outbox, as `GET /api/deliveries` shows it. */
interface Delivery {
  id: string
  endpoint: string
  type: string
  state: 'pending' | 'in-flight' | 'delivered' | 'failed' | 'disabled'
  nextAt: number | null
  createdAt: number
  bodyBytes: number
  attempts: {
    attempt: number
    at: number
    status: number | null
    error: string | null
    latencyMs: number
  }[]
}

const STATES = [
  ['', 'All'],
  ['failed', 'Failed'],
  ['disabled', 'Dead (endpoint disabled)'],
  ['pending', 'Pending'],
  ['in-flight', 'In flight'],
  ['delivered', 'Delivered'],
] as const
const PAGE = 100
/** How often the list is read again, so a replayed message is seen delivered. */
const REFRESH_MS = 2000

const time = (ms: number) => new Date(ms).toLocaleString()
const replayable = (d: Delivery) => d.state === 'failed' || d.state === 'disabled'

/** Deliveries: a durable sender's messages and their attempts, with replay of the failed and dead. */
export function DeliveriesPage(props: { session: Session }) {
  const enabled = (props.session as Session & { deliveries?: boolean }).deliveries === true
  const [state, setState] = useState('')
  const [endpoint, setEndpoint] = useState('')
  const [before, setBefore] = useState<string>()
  const [asking, setAsking] = useState<Delivery>()
  const [replayed, setReplayed] = useState<string>()
  const list = useData(() => {
    if (!enabled) return Promise.resolve({ messages: [] as Delivery[] })
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (state) query.set('state', state)
    if (endpoint.trim()) query.set('endpoint', endpoint.trim())
    if (before) query.set('before', before)
    return call<{ messages: Delivery[] }>('GET', `/api/deliveries?${query.toString()}`)
  })
  const { reload } = list
  useEffect(() => {
    if (!enabled) return
    const timer = setInterval(reload, REFRESH_MS)
    return () => clearInterval(timer)
  }, [enabled, reload])

  if (!enabled)
    return (
      <p role="status">
        No outbox is open: start the console with <code>zerohook console --outbox FILE</code>, FILE
        being the SQLite outbox of a durable sender.
      </p>
    )

  const messages = list.data?.messages ?? []
  const done = (id: string | undefined) => {
    setAsking(undefined)
    if (id) setReplayed(id)
    reload()
  }
  return (
    <>
      <form
        class="inline"
        aria-label="Filter deliveries"
        onSubmit={(e) => {
          e.preventDefault()
          setBefore(undefined)
          reload()
        }}
      >
        <p class="field">
          <label for="delivery-state">State</label>
          <select
            id="delivery-state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value)}
          >
            {STATES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </p>
        <TextField
          id="delivery-endpoint"
          label="Endpoint"
          value={endpoint}
          onInput={setEndpoint}
          hint="The endpoint URL exactly as the sender was given it"
        />
        <button type="submit">Filter</button>
      </form>
      <ErrorLine error={list.error} />
      {replayed && (
        <p role="status">Replayed {replayed}: the sender sends it again within seconds.</p>
      )}
      {asking && <ConfirmReplay message={asking} onDone={done} />}
      <table>
        <caption>
          Deliveries ({messages.length}
          {messages.length === PAGE ? '+' : ''}), newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Message</th>
            <th scope="col">Endpoint</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => (
            <tr key={m.id} data-id={m.id} data-state={m.state}>
              <th scope="row">
                <code>{m.id}</code>
                <br />
                <span class="muted">
                  {m.type} · {m.bodyBytes} bytes · {time(m.createdAt)}
                </span>
              </th>
              <td>{m.endpoint}</td>
              <td>
                {m.state === 'disabled' ? 'dead' : m.state}
                {m.nextAt !== null && <span class="muted"> · due {time(m.nextAt)}</span>}
              </td>
              <td>
                <Attempts message={m} />
              </td>
              <td class="actions">
                {replayable(m) && (
                  <button
                    type="button"
                    aria-label={`Replay ${m.id}`}
                    onClick={() => {
                      setReplayed(undefined)
                      setAsking(m)
                    }}
                  >
                    Replay
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {before && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setBefore(undefined)
              reload()
            }}
          >
            Newest
          </button>
        )}
        {messages.length === PAGE && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setBefore(messages[messages.length - 1]!.id)
              reload()
            }}
          >
            Older
          </button>
        )}
      </p>
    </>
  )
}

function Attempts(props: { message: Delivery }) {
  const { attempts } = props.message
  if (attempts.length === 0) return <span class="muted">none yet</span>
  return (
    <ol aria-label={`Attempts of ${props.message.id}`}>
      {attempts.map((a) => (
        <li key={a.attempt}>
          {time(a.at)}: {a.status ?? 'no answer'}
          {a.error && <span class="error"> {a.error}</span>}
          <span class="muted"> ({a.latencyMs} ms)</span>
        </li>
      ))}
    </ol>
  )
}

/** Asks before replaying: the receiver gets the message again (same id, a fresh signature). */
function ConfirmReplay(props: { message: Delivery; onDone: (replayed?: string) => void }) {
  const { message, onDone } = props
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const confirmRef = useRef<HTMLButtonElement>(null)
  useEffect(() => confirmRef.current?.focus(), [message])

  async function confirm() {
    setBusy(true)
    try {
      const path = `/api/deliveries/${encodeURIComponent(message.id)}/replay`
      const r = await call<{ replayed: boolean }>('POST', path)
      if (r.replayed) return onDone(message.id)
      setError(`${message.id} is no longer failed or dead; nothing was replayed.`)
    } catch (e) {
      setError(describeError(e))
    }
    setBusy(false)
  }

  return (
    <section class="confirm" aria-labelledby="replay-title" aria-live="polite">
      <h2 id="replay-title">Confirm: replay {message.id}</h2>
      <p>
        The sender sends this {message.state === 'disabled' ? 'dead' : 'failed'} message to{' '}
        {message.endpoint} again now, with the same id; its attempts so far are kept.
        {message.state === 'disabled' && ' Its endpoint is enabled again.'}
      </p>
      <ErrorLine error={error} />
      <div class="actions">
        <button type="button" ref={confirmRef} disabled={busy} onClick={() => void confirm()}>
          Replay
        </button>
        <button type="button" class="secondary" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </section>
  )
}
