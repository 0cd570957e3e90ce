/**
 * Plain code-unit order. Unlike `localeCompare` it does not depend on the host's ICU data, so
 * sorted output (stored attributes, grants, change events) is identical on every machine.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Deduplicates and sorts in {@link compareStrings} order.
 *
 * @example
 * sortedUnique(['b', 'a', 'b']) // ['a', 'b']
 */
export function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items)].sort(compareStrings)
}
