import { useState } from 'preact/hooks'
import { RowActions } from '../row-actions.js'
import { call, get } from '../api.js'
import { ConfirmChange, type Pending } from '../confirm.js'
import { ErrorLine, ListEditor, SearchField, TextField } from '../fields.js'
import { matches, parseList, showList } from '../roles.js'
import type { Entity } from '../types.js'
import { useData } from '../use-data.js'

/** Services: list, search, create, edit attributes, delete. */
export function ServicesPage() {
  const list = useData(() => get<{ services: Entity[] }>('services'))
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
  const services = (list.data?.services ?? []).filter((s) => matches(query, s.name, [s.attributes]))
  return (
    <>
      <ErrorLine error={list.error} />
      <SearchField id="service-search" value={query} onInput={setQuery} />
      <table>
        <caption>Services ({services.length})</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Attributes</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.id} data-name={s.name}>
              <th scope="row">{s.name}</th>
              <td>
                {editing === s.id ? (
                  <ListEditor
                    id={`attrs-${s.id}`}
                    label={`Attributes of ${s.name}`}
                    initial={s.attributes}
                    onCancel={() => setEditing(undefined)}
                    onSave={(attributes) =>
                      setPending({
                        title: `set the attributes of ${s.name} to ${showList(attributes) || 'none'}`,
                        change: { change: 'service.update', ref: s.id, body: { attributes } },
                        apply: () => call('PATCH', `/api/v1/services/${s.id}`, { attributes }),
                      })
                    }
                  />
                ) : (
                  showList(s.attributes.map((a) => `#${a}`))
                )}
              </td>
              <RowActions
                name={s.name}
                edit={{ what: 'attributes', onEdit: () => setEditing(s.id) }}
                onDelete={() =>
                  setPending({
                    title: `delete service ${s.name}`,
                    change: { change: 'service.delete', ref: s.id },
                    apply: () => call('DELETE', `/api/v1/services/${s.id}`),
                  })
                }
              />
            </tr>
          ))}
        </tbody>
      </table>
      {pending && <ConfirmChange pending={pending} onDone={done} />}
      <CreateService onCreated={list.reload} />
    </>
  )
}

function CreateService(props: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [attributes, setAttributes] = useState('')
  const [error, setError] = useState<string>()
  const [created, setCreated] = useState<string>()
  const [pending, setPending] = useState<Pending>()

  // What the attributes grant at once is previewed and confirmed before the service exists.
  function submit(e: Event) {
    e.preventDefault()
    setError(undefined)
    setCreated(undefined)
    const body = { name: name.trim(), attributes: parseList(attributes) }
    setPending({
      title: `create service ${body.name}`,
      change: { change: 'service.create', body },
      apply: async () => {
        const r = await call<{ service: Entity }>('POST', '/api/v1/services', body)
        setCreated(r.service.name)
        setName('')
        setAttributes('')
        props.onCreated()
      },
    })
  }

  return (
    <>
      <form aria-labelledby="create-service" onSubmit={submit}>
        <h2 id="create-service">Create a service</h2>
        <TextField id="service-name" label="Name" value={name} onInput={setName} required />
        <TextField
          id="service-attributes"
          label="Attributes"
          value={attributes}
          onInput={setAttributes}
          hint="Comma-separated, without #: webhooks"
        />
        <button type="submit">Create service</button>
        <ErrorLine error={error} />
        {created && <p role="status">Created service {created}.</p>}
      </form>
      {pending && <ConfirmChange pending={pending} onDone={() => setPending(undefined)} />}
    </>
  )
}
