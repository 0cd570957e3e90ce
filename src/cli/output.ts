/** Output for humans (aligned tables) or scripts (--json), one place for both. */

/** A column of a human table: header and how to read the cell from a row. */
export type Column<T> = [header: string, cell: (row: T) => string]

/** Prints rows as an aligned table. */
export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
  const cells = rows.map((r) => columns.map(([, cell]) => cell(r)))
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  process.stdout.write(`${line(columns.map(([h]) => h))}\n`)
  for (const c of cells) process.stdout.write(`${line(c)}\n`)
  if (rows.length === 0) process.stdout.write('(none)\n')
}

/** Prints one record as "key: value" lines. */
export function printRecord(record: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(record).map((k) => k.length))
  for (const [k, v] of Object.entries(record)) {
    const text = Array.isArray(v)
      ? v.join(',')
      : v === undefined || v === null
        ? ''
        : typeof v === 'string'
          ? v
          : JSON.stringify(v)
    process.stdout.write(`${`${k}:`.padEnd(width + 2)}${text}\n`)
  }
}

/** Prints a value as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Either the JSON or the human rendering, as the --json flag says. */
export function emit(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) printJson(value)
  else human()
}

/** Splits a comma-separated option ("a,b, c") into trimmed non-empty items. */
export function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
