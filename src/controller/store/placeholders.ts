const converted = new Map<string, string>()

/**
 * Turns the `?` placeholders of our portable SQL into PostgreSQL's `$1, $2, ...`, skipping quoted
 * literals and identifiers. Only placeholders change: values always travel as parameters.
 */
export function numberedPlaceholders(sql: string): string {
  let done = converted.get(sql)
  if (done !== undefined) return done
  let n = 0
  let quote: string | undefined
  let out = ''
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined
      out += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      out += ch
    } else out += ch === '?' ? `$${++n}` : ch
  }
  done = out
  converted.set(sql, done)
  return done
}
