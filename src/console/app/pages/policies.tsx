import { useState } from 'preact/hooks'
import { RowActions } from '../row-actions.js'
import { call, get } from '../api.js'
import { ConfirmChange, type Pending } from '../confirm.js'
import { ErrorLine, SearchField, TextField } from '../fields.js'
import { matches, parseList, showList } from '../roles.js'
import type { RouterPolicy, Semantic, ServicePolicy } from '../types.js'
import { useData } from '../use-data.js'

/**
 * Service policies (who may dial or bind which services) and router policies (who may use
 * which routers). Every change shows the permissions it grants and takes away first.
 */
export function PoliciesPage() {
  const services = useData(() => get<{ policies: ServicePolicy[] }>('service-policies'))
  const routers = useData(() => get<{ policies: RouterPolicy[] }>('router-policies'))
  const [query, setQuery] = useState('')
  const [editing, setEditing] = useState<string>()
  const [pending, setPending] = useState<Pending>()

  const done = (applied: boolean) => {
    setPending(undefined)
    if (applied) {
      setEditing(undefined)
      services.reload()
      routers.reload()
    }
  }
  const sp = (services.data?.policies ?? []).filter((p) =>
    matches(query, p.name, [p.identityRoles, p.serviceRoles]),
  )
  const rp = (routers.data?.policies ?? []).filter((p) =>
    matches(query, p.name, [p.identityRoles, p.routerRoles]),
  )
  return (
    <>
      <ErrorLine error={services.error ?? routers.error} />
      <SearchField id="policy-search" value={query} onInput={setQuery} />
      <table>
        <caption>Service policies ({sp.length})</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Identity roles</th>
            <th scope="col">Service roles</th>
            <th scope="col">Match</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sp.map((p) =>
            editing === p.id ? (
              <tr key={p.id} data-name={p.name}>
                <th scope="row">{p.name}</th>
                <td colSpan={5}>
                  <EditServicePolicy
                    policy={p}
                    onCancel={() => setEditing(undefined)}
                    onSave={setPending}
                  />
                </td>
              </tr>
            ) : (
              <tr key={p.id} data-name={p.name}>
                <th scope="row">{p.name}</th>
                <td>{p.type}</td>
                <td>{showList(p.identityRoles)}</td>
                <td>{showList(p.serviceRoles)}</td>
                <td>{p.semantic}</td>
                <RowActions
                  name={p.name}
                  edit={{ what: 'roles', onEdit: () => setEditing(p.id) }}
                  onDelete={() =>
                    setPending({
                      title: `delete service policy ${p.name}`,
                      change: { change: 'service-policy.delete', ref: p.id },
                      apply: () => call('DELETE', `/api/v1/service-policies/${p.id}`),
                    })
                  }
                />
              </tr>
            ),
          )}
        </tbody>
      </table>
      <table>
        <caption>Router policies ({rp.length})</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Identity roles</th>
            <th scope="col">Router roles</th>
            <th scope="col">Match</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rp.map((p) => (
            <tr key={p.id} data-name={p.name}>
              <th scope="row">{p.name}</th>
              <td>{showList(p.identityRoles)}</td>
              <td>{showList(p.routerRoles)}</td>
              <td>{p.semantic}</td>
              <RowActions
                name={p.name}
                onDelete={() =>
                  setPending({
                    title: `delete router policy ${p.name}`,
                    change: { change: 'router-policy.delete', ref: p.id },
                    apply: () => call('DELETE', `/api/v1/router-policies/${p.id}`),
                  })
                }
              />
            </tr>
          ))}
        </tbody>
      </table>
      {pending && <ConfirmChange pending={pending} onDone={done} />}
      <CreateServicePolicy onSave={setPending} />
      <CreateRouterPolicy onSave={setPending} />
    </>
  )
}

function SemanticField(props: { id: string; value: Semantic; onChange: (v: Semantic) => void }) {
  return (
    <p class="field">
      <label for={props.id}>Match</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value as Semantic)}
      >
        <option value="anyOf">any of the roles (anyOf)</option>
        <option value="allOf">all of the roles (allOf)</option>
      </select>
    </p>
  )
}

const ROLES_HINT = 'Comma-separated: #attribute, @name or #all'

function EditServicePolicy(props: {
  policy: ServicePolicy
  onSave: (p: Pending) => void
  onCancel: () => void
}) {
  const { policy } = props
  const [identityRoles, setIdentityRoles] = useState(showList(policy.identityRoles))
  const [serviceRoles, setServiceRoles] = useState(showList(policy.serviceRoles))
  const [semantic, setSemantic] = useState<Semantic>(policy.semantic)
  return (
    <form
      class="inline"
      aria-label={`Edit roles of ${policy.name}`}
      onSubmit={(e) => {
        e.preventDefault()
        const body = {
          identityRoles: parseList(identityRoles),
          serviceRoles: parseList(serviceRoles),
          semantic,
        }
        props.onSave({
          title: `change service policy ${policy.name}`,
          change: { change: 'service-policy.update', ref: policy.id, body },
          apply: () => call('PATCH', `/api/v1/service-policies/${policy.id}`, body),
        })
      }}
    >
      <TextField
        id={`edit-${policy.id}-identities`}
        label="Identity roles"
        value={identityRoles}
        onInput={setIdentityRoles}
      />
      <TextField
        id={`edit-${policy.id}-services`}
        label="Service roles"
        value={serviceRoles}
        onInput={setServiceRoles}
      />
      <SemanticField id={`edit-${policy.id}-semantic`} value={semantic} onChange={setSemantic} />
      <button type="submit">Preview and save</button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  )
}

function CreateServicePolicy(props: { onSave: (p: Pending) => void }) {
  const [name, setName] = useState('')
  const [type, setType] = useState<'dial' | 'bind'>('dial')
  const [identityRoles, setIdentityRoles] = useState('')
  const [serviceRoles, setServiceRoles] = useState('')
  const [semantic, setSemantic] = useState<Semantic>('anyOf')
  return (
    <form
      aria-labelledby="create-service-policy"
      onSubmit={(e) => {
        e.preventDefault()
        const body = {
          name: name.trim(),
          type,
          identityRoles: parseList(identityRoles),
          serviceRoles: parseList(serviceRoles),
          semantic,
        }
        props.onSave({
          title: `create ${type} policy ${body.name}`,
          change: { change: 'service-policy.create', body },
          apply: () => call('POST', '/api/v1/service-policies', body),
        })
      }}
    >
      <h2 id="create-service-policy">Create a service policy</h2>
      <TextField id="policy-name" label="Name" value={name} onInput={setName} required />
      <p class="field">
        <label for="policy-type">Type</label>
        <select
          id="policy-type"
          value={type}
          onChange={(e) => setType(e.currentTarget.value as 'dial' | 'bind')}
        >
          <option value="dial">dial</option>
          <option value="bind">bind</option>
        </select>
      </p>
      <TextField
        id="policy-identities"
        label="Identity roles"
        value={identityRoles}
        onInput={setIdentityRoles}
        hint={ROLES_HINT}
      />
      <TextField
        id="policy-services"
        label="Service roles"
        value={serviceRoles}
        onInput={setServiceRoles}
        hint={ROLES_HINT}
      />
      <SemanticField id="policy-semantic" value={semantic} onChange={setSemantic} />
      <button type="submit">Preview service policy</button>
    </form>
  )
}

function CreateRouterPolicy(props: { onSave: (p: Pending) => void }) {
  const [name, setName] = useState('')
  const [identityRoles, setIdentityRoles] = useState('')
  const [routerRoles, setRouterRoles] = useState('')
  const [semantic, setSemantic] = useState<Semantic>('anyOf')
  return (
    <form
      aria-labelledby="create-router-policy"
      onSubmit={(e) => {
        e.preventDefault()
        const body = {
          name: name.trim(),
          identityRoles: parseList(identityRoles),
          routerRoles: parseList(routerRoles),
          semantic,
        }
        props.onSave({
          title: `create router policy ${body.name}`,
          change: { change: 'router-policy.create', body },
          apply: () => call('POST', '/api/v1/router-policies', body),
        })
      }}
    >
      <h2 id="create-router-policy">Create a router policy</h2>
      <TextField id="router-policy-name" label="Name" value={name} onInput={setName} required />
      <TextField
        id="router-policy-identities"
        label="Identity roles"
        value={identityRoles}
        onInput={setIdentityRoles}
        hint={ROLES_HINT}
      />
      <TextField
        id="router-policy-routers"
        label="Router roles"
        value={routerRoles}
        onInput={setRouterRoles}
        hint={ROLES_HINT}
      />
      <SemanticField id="router-policy-semantic" value={semantic} onChange={setSemantic} />
      <button type="submit">Preview router policy</button>
    </form>
  )
}
