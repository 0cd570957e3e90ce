/** Roles and attributes as a form field holds them: comma- or space-separated. */
export function parseList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** A list shown in a form field or a table cell. */
export function showList(items: readonly string[]): string {
  return items.join(', ')
}

/**
 * Whether a thing matches a search: its name, or one of its attributes or roles (with or
 * without the leading `#`), contains the text.
 */
export function matches(query: string, name: string, lists: readonly string[][]): boolean {
  const q = query.trim().toLowerCase().replace(/^#/, '')
  if (!q) return true
  if (name.toLowerCase().includes(q)) return true
  return lists.some((l) => l.some((a) => a.toLowerCase().replace(/^[#@]/, '').includes(q)))
}
