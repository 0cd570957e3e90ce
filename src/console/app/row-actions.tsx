/**
 * The actions cell of a row: Edit (when the row can be edited) and Delete, each labelled with the row's name for screen readers and tests.
 */
export function RowActions(props: {
  name: string
  /** What Edit changes ("attributes", "roles"), with its handler; a row without one has no Edit. */
  edit?: { what: string; onEdit: () => void }
  onDelete: () => void
}) {
  return (
    <td class="actions">
      {props.edit && (
        <button
          type="button"
          aria-label={`Edit ${props.edit.what} of ${props.name}`}
          onClick={props.edit.onEdit}
        >
          Edit
        </button>
      )}
      <button
        type="button"
        class="danger"
        aria-label={`Delete ${props.name}`}
        onClick={props.onDelete}
      >
        Delete
      </button>
    </td>
  )
}
