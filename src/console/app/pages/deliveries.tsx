import { useEffect, useRef, useState } from 'preact/hooks'
import { call, describeError } from '../api.js'
import { ErrorLine, TextField } from '../fields.js'
import type { Session } from '../types.js'
import { useData } from '../use-data.js'

/** One delivery as the page shows it: a sender's message, or a webhook in a gateway's queue. */
interface Delivery {
  id: string
  endpoint: string
  type: string
  state: 'pending' | 'in-flight' | 'delivered' | 'failed' | 'disabled' | 'rejected'
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

/** A webhook of the gateway's queue, as `GET /api/gateway/deliveries` answers it. */
interface GatewayWebhook extends Omit<Delivery, 'endpoint' | 'type'> {
  route: string
  url: string
}

type Source = 'outbox' | 'gateway'

/** What differs between the two sources: the API, the states, the filter, what replays. */
const SOURCES: Record<
  Source,
  {
    label: string
    api: string
    states: readonly (readonly [string, string])[]
    filter: { name: string; label: string; hint: string }
    replayable: readonly Delivery['state'][]
    list: (answer: unknown) => Delivery[]
  }
> = {
  outbox: {
    label: "Sender's outbox",
    api: '/api/deliveries',
    states: [
      ['', 'All'],
      ['failed', 'Failed'],
      ['disabled', 'Dead (endpoint disabled)'],
      ['pending', 'Pending'],
      ['in-flight', 'In flight'],
      ['delivered', 'Delivered'],
    ],
    filter: {
      name: 'endpoint',
      label: 'Endpoint',
      hint: 'The endpoint URL exactly as the sender was given it',
    },
    replayable: ['failed', 'disabled'],
    list: (answer) => (answer as { messages: Delivery[] }).messages,
  },
  gateway: {
    label: "Gateway's queue",
    api: '/api/gateway/deliveries',
    states: [
      ['', 'All'],
      ['failed', 'Failed'],
      ['rejected', 'Rejected (4xx from the receiver)'],
      ['pending', 'Pending'],
      ['in-flight', 'In flight'],
      ['delivered', 'Delivered'],
    ],
    filter: { name: 'route', label: 'Route', hint: "The gateway route's path, e.g. /github" },
    replayable: ['failed', 'rejected'],
    list: (answer) =>
      (answer as { deliveries: GatewayWebhook[] }).deliveries.map(({ route, url, ...w }) => ({
        ...w,
        type: `route ${route}`,
        endpoint: url.replace(/^http:\/\//, ''),
      })),
  },
}

const PAGE = 100
/** How often the list is read again, so a replayed message is seen delivered. */
const REFRESH_MS = 2000

const time = (ms: number) => new Date(ms).toLocaleString()

/**
 * Deliveries: a durable sender's messages or a gateway's queued webhooks, with their attempts,
 * and replay of the failed and dead.
 */
export function DeliveriesPage(props: { session: Session }) {
  const sources = (['outbox', 'gateway'] as const).filter((s) =>
    s === 'outbox' ? props.session.deliveries === true : props.session.gateway === true,
  )
  const [source, setSource] = useState<Source | undefined>(sources[0])
  const [state, setState] = useState('')
  const [filterValue, setFilterValue] = useState('')
  const [before, setBefore] = useState<string>()
  const [asking, setAsking] = useState<Delivery>()
  const [replayed, setReplayed] = useState<string>()
  const list = useData(() => {
    if (!source) return Promise.resolve([] as Delivery[])
    const { api, filter, list: read } = SOURCES[source]
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (state) query.set('state', state)
    if (filterValue.trim()) query.set(filter.name, filterValue.trim())
    if (before) query.set('before', before)
    return call<unknown>('GET', `${api}?${query.toString()}`).then(read)
  })
  const { reload } = list
  useEffect(() => {
    if (!source) return
    const timer = setInterval(reload, REFRESH_MS)
    return () => clearInterval(timer)
  }, [source, reload])
  useEffect(reload, [source, reload])

  if (!source)
    return (
      <p role="status">
        Nothing to show: start the console with <code>zerohook console --outbox FILE</code> (the
        SQLite outbox of a durable sender) or <code>--gateway URL</code> (a gateway's admin API).
      </p>
    )
  const config = SOURCES[source]
  const replayable = (d: Delivery) => config.replayable.includes(d.state)

  const messages = list.data ?? []
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
        {sources.length > 1 && (
          <p class="field">
            <label for="delivery-source">Source</label>
            <select
              id="delivery-source"
              value={source}
              onChange={(e) => {
                setSource(e.currentTarget.value as Source)
                setState('')
                setFilterValue('')
                setBefore(undefined)
              }}
            >
              {sources.map((s) => (
                <option key={s} value={s}>
                  {SOURCES[s].label}
                </option>
              ))}
            </select>
          </p>
        )}
        <p class="field">
          <label for="delivery-state">State</label>
          <select
            id="delivery-state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value)}
          >
            {config.states.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </p>
        <TextField
          id="delivery-filter"
          label={config.filter.label}
          value={filterValue}
          onInput={setFilterValue}
          hint={config.filter.hint}
        />
        <button type="submit">Filter</button>
      </form>
      <ErrorLine error={list.error} />
      {replayed && (
        <p role="status">
          Replayed {replayed}: the {source === 'gateway' ? 'gateway' : 'sender'} sends it again
          within seconds.
        </p>
      )}
      {asking && <ConfirmReplay message={asking} api={config.api} onDone={done} />}
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
function ConfirmReplay(props: {
  message: Delivery
  api: string
  onDone: (replayed?: string) => void
}) {
  const { message, api, onDone } = props
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const confirmRef = useRef<HTMLButtonElement>(null)
  useEffect(() => confirmRef.current?.focus(), [message])

  async function confirm() {
    setBusy(true)
    try {
      const path = `${api}/${encodeURIComponent(message.id)}/replay`
      const r = await call<{ replayed: boolean }>('POST', path)
      if (r.replayed) return onDone(message.id)
      setError(`${message.id} is no longer failed, rejected or dead; nothing was replayed.`)
    } catch (e) {
      setError(describeError(e))
    }
    setBusy(false)
  }

  return (
    <section class="confirm" aria-labelledby="replay-title" aria-live="polite">
      <h2 id="replay-title">Confirm: replay {message.id}</h2>
      <p>
        {api.includes('gateway')
          ? `The gateway forwards this ${message.state} webhook to ${message.endpoint} again now, with the provider's bytes and signature, and retries it on its schedule; its attempts so far are kept.`
          : `The sender sends this ${message.state === 'disabled' ? 'dead' : 'failed'} message to ${message.endpoint} again now, with the same id; its attempts so far are kept.`}
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
