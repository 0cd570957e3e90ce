import { useEffect, useRef, useState } from 'preact/hooks'
import { call, describeError } from './api.js'
import type { Change, Permission, Preview, RouterAccess } from './types.js'

/** A change waiting for the user's yes: what it is, and what it does once applied. */
export interface Pending {
  title: string
  change: Change
  apply: () => Promise<unknown>
}

/**
 * Asks the controller what a change would grant and take away (`POST /v1/previews`), shows
 * exactly that, and applies the change only when the user confirms.
 */
export function ConfirmChange(props: { pending: Pending; onDone: (applied: boolean) => void }) {
  const { pending, onDone } = props
  const [preview, setPreview] = useState<Preview>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const confirmRef = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    call<Preview>('POST', '/api/v1/previews', pending.change).then(setPreview, (e: unknown) =>
      setError(describeError(e)),
    )
  }, [pending])
  useEffect(() => {
    if (preview) confirmRef.current?.focus()
  }, [preview])

  async function confirm() {
    setBusy(true)
    try {
      await pending.apply()
      onDone(true)
    } catch (e) {
      setError(describeError(e))
      setBusy(false)
    }
  }

  const empty =
    preview &&
    preview.added.length + preview.removed.length === 0 &&
    preview.addedRouterAccess.length + preview.removedRouterAccess.length === 0
  return (
    <section class="confirm" aria-labelledby="confirm-title" aria-live="polite">
      <h2 id="confirm-title">Confirm: {pending.title}</h2>
      {!preview && !error && <p>Computing what this change grants and takes away…</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {preview && (
        <div class="preview" data-testid="preview">
          {empty && <p>No permission or router access changes.</p>}
          <PermissionList label="Permissions granted" sign="+" items={preview.added} />
          <PermissionList label="Permissions taken away" sign="−" items={preview.removed} />
          <AccessList label="Router access granted" sign="+" items={preview.addedRouterAccess} />
          <AccessList
            label="Router access taken away"
            sign="−"
            items={preview.removedRouterAccess}
          />
        </div>
      )}
      <div class="actions">
        <button
          type="button"
          ref={confirmRef}
          disabled={!preview || busy}
          onClick={() => void confirm()}
        >
          Confirm
        </button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </section>
  )
}

function PermissionList(props: { label: string; sign: string; items: Permission[] }) {
  if (props.items.length === 0) return null
  return (
    <section>
      <h3>{props.label}</h3>
      <ul class={props.sign === '+' ? 'added' : 'removed'}>
        {props.items.map((p) => (
          <li key={`${p.identity.id}-${p.service.id}-${p.action}`}>
            {props.sign} {p.identity.name} may {p.action} {p.service.name}
          </li>
        ))}
      </ul>
    </section>
  )
}

function AccessList(props: { label: string; sign: string; items: RouterAccess[] }) {
  if (props.items.length === 0) return null
  return (
    <section>
      <h3>{props.label}</h3>
      <ul class={props.sign === '+' ? 'added' : 'removed'}>
        {props.items.map((a) => (
          <li key={`${a.identity.id}-${a.router.id}`}>
            {props.sign} {a.identity.name} may use router {a.router.name}
          </li>
        ))}
      </ul>
    </section>
  )
}
