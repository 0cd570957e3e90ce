import { useState } from 'preact/hooks'
import { RowActions } from '../row-actions.js'
import { call, get } from '../api.js'
import { ConfirmChange, type Pending } from '../confirm.js'
import { ErrorLine, ListEditor, SearchField, TextField } from '../fields.js'
import { matches, parseList, showList } from '../roles.js'
import type { Identity } from '../types.js'
import { useData } from '../use-data.js'

interface Created {
  identity: Identity
  enrollment: { token: string; expiresAt: string }
}

/** Identities: list, search, create (showing the one-time enrollment token), edit, delete. */
export function IdentitiesPage() {
  const list = useData(() => get<{ identities: Identity[] }>('identities'))
  const [query, setQuery] = useState('')
  const [editing, setEditing] = useState<string>()
  const [pending, setPending] = useState<Pending>()

  const done = (applied: boolean) => {
    setPending(undefined)
    if (applied) {
      setEditing(undefined)
      list.reload()
    }
  }
  const identities = (list.data?.identities ?? []).filter((i) =>
    matches(query, i.name, [i.attributes]),
  )
  return (
    <>
      <ErrorLine error={list.error} />
      <SearchField id="identity-search" value={query} onInput={setQuery} />
      <table>
        <caption>Identities ({identities.length})</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Attributes</th>
            <th scope="col">State</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {identities.map((i) => (
            <tr key={i.id} data-name={i.name}>
              <th scope="row">{i.name}</th>
              <td>{i.kind}</td>
              <td>
                {editing === i.id ? (
                  <ListEditor
                    id={`attrs-${i.id}`}
                    label={`Attributes of ${i.name}`}
                    initial={i.attributes}
                    onCancel={() => setEditing(undefined)}
                    onSave={(attributes) =>
                      setPending({
                        title: `set the attributes of ${i.name} to ${showList(attributes) || 'none'}`,
                        change: { change: 'identity.update', ref: i.id, body: { attributes } },
                        apply: () => call('PATCH', `/api/v1/identities/${i.id}`, { attributes }),
                      })
                    }
                  />
                ) : (
                  showList(i.attributes.map((a) => `#${a}`))
                )}
              </td>
              <td>{i.disabled ? 'disabled' : i.enrolled ? 'enrolled' : 'not enrolled'}</td>
              <RowActions
                name={i.name}
                edit={{ what: 'attributes', onEdit: () => setEditing(i.id) }}
                onDelete={() =>
                  setPending({
                    title: `delete identity ${i.name}`,
                    change: { change: 'identity.delete', ref: i.id },
                    apply: () => call('DELETE', `/api/v1/identities/${i.id}`),
                  })
                }
              />
            </tr>
          ))}
        </tbody>
      </table>
      {pending && <ConfirmChange pending={pending} onDone={done} />}
      <CreateIdentity onCreated={list.reload} />
    </>
  )
}

function CreateIdentity(props: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [attributes, setAttributes] = useState('')
  const [kind, setKind] = useState<'endpoint' | 'admin'>('endpoint')
  const [error, setError] = useState<string>()
  const [created, setCreated] = useState<Created>()
  const [pending, setPending] = useState<Pending>()

  // What the attributes grant at once is previewed and confirmed before the identity exists.
  function submit(e: Event) {
    e.preventDefault()
    setError(undefined)
    setCreated(undefined)
    const body = { name: name.trim(), attributes: parseList(attributes), kind }
    setPending({
      title: `create identity ${body.name}`,
      change: { change: 'identity.create', body },
      apply: async () => {
        setCreated(await call<Created>('POST', '/api/v1/identities', body))
        setName('')
        setAttributes('')
        props.onCreated()
      },
    })
  }

  return (
    <>
      <form aria-labelledby="create-identity" onSubmit={submit}>
        <h2 id="create-identity">Create an identity</h2>
        <TextField id="identity-name" label="Name" value={name} onInput={setName} required />
        <TextField
          id="identity-attributes"
          label="Attributes"
          value={attributes}
          onInput={setAttributes}
          hint="Comma-separated, without #: senders, ci"
        />
        <p class="field">
          <label for="identity-kind">Kind</label>
          <select
            id="identity-kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as 'endpoint' | 'admin')}
          >
            <option value="endpoint">endpoint</option>
            <option value="admin">admin</option>
          </select>
        </p>
        <button type="submit">Create identity</button>
        <ErrorLine error={error} />
        {created && (
          <section aria-labelledby="enrollment-title" class="enrollment">
            <h3 id="enrollment-title">Created {created.identity.name}</h3>
            <p>
              Its one-time enrollment token (shown only now; expires {created.enrollment.expiresAt}
              ). Save it to a file and run <code>zerohook enroll FILE</code> on the endpoint.
            </p>
            <label for="enrollment-token">Enrollment token</label>
            <textarea id="enrollment-token" readOnly rows={4} value={created.enrollment.token} />
          </section>
        )}
      </form>
      {pending && <ConfirmChange pending={pending} onDone={() => setPending(undefined)} />}
    </>
  )
}
