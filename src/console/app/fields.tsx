import { useState } from 'preact/hooks'
import { parseList, showList } from './roles.js'

/** A labelled text field. */
export function TextField(props: {
  id: string
  label: string
  value: string
  onInput: (v: string) => void
  required?: boolean
  hint?: string
}) {
  return (
    <p class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type="text"
        value={props.value}
        required={props.required}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </p>
  )
}

/** The search box above a list. */
export function SearchField(props: { id: string; value: string; onInput: (v: string) => void }) {
  return (
    <p class="field search" role="search">
      <label for={props.id}>Search by name or attribute</label>
      <input
        id={props.id}
        type="search"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </p>
  )
}

/** An inline form that edits one list (attributes or roles) of one thing. */
export function ListEditor(props: {
  id: string
  label: string
  initial: readonly string[]
  onSave: (items: string[]) => void
  onCancel: () => void
}) {
  const [text, setText] = useState(showList(props.initial))
  return (
    <form
      class="inline"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault()
        props.onSave(parseList(text))
      }}
    >
      <TextField id={props.id} label={props.label} value={text} onInput={setText} />
      <button type="submit">Preview and save</button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  )
}

/** An error line under a form, read out when it appears. */
export function ErrorLine(props: { error: string | undefined }) {
  if (!props.error) return null
  return (
    <p role="alert" class="error">
      {props.error}
    </p>
  )
}
