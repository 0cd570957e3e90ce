import { parsePrincipalUri, type PrincipalKind } from './uri.js'

/** One subject alternative name as Node prints it: `URI:urn:...` is `{ type: 'URI', value }`. */
export interface AltName {
  type: string
  value: string
}

/** A principal named by a certificate, with the URI it came from. */
export interface NamedPrincipal {
  uri: string
  network: string
  kind: PrincipalKind
  id: string
}

/**
 * Parses Node's `subjectAltName` / `subjectaltname` string (`URI:urn:x, DNS:a, IP Address:1.2.3.4`).
 * Since CVE-2021-44533 Node writes a name holding `,`, quotes, backslashes or control characters
 * as a JSON string, either whole (`"URI:a, b"`) or after its prefix (`DirName:"CN=a"`). Returns
 * `undefined` when the string does not follow that grammar, so callers fail closed.
 */
export function parseAltNames(text: string | undefined): AltName[] | undefined {
  if (text === undefined || text === '') return []
  const names: AltName[] = []
  let i = 0
  while (i < text.length) {
    let entry: string
    if (text[i] === '"') {
      const end = jsonStringEnd(text, i)
      if (end < 0) return undefined
      const whole = parseJsonString(text.slice(i, end))
      if (whole === undefined) return undefined
      entry = whole
      i = end
    } else {
      const colon = text.indexOf(':', i)
      const comma = text.indexOf(', ', i)
      if (colon < 0 || (comma >= 0 && colon > comma)) return undefined
      if (text[colon + 1] === '"') {
        const end = jsonStringEnd(text, colon + 1)
        const value = end < 0 ? undefined : parseJsonString(text.slice(colon + 1, end))
        if (value === undefined) return undefined
        entry = `${text.slice(i, colon)}:${value}`
        i = end
      } else {
        const end = comma < 0 ? text.length : comma
        entry = text.slice(i, end)
        // Node quotes every name holding a comma, so a bare one means this is not its format.
        if (entry.includes(',')) return undefined
        i = end
      }
    }
    const sep = entry.indexOf(':')
    if (sep <= 0) return undefined
    names.push({ type: entry.slice(0, sep), value: entry.slice(sep + 1) })
    if (i === text.length) break
    if (!text.startsWith(', ', i)) return undefined
    i += 2
    if (i === text.length) return undefined
  }
  return names
}

/**
 * The one zerohook principal named by URI SANs, or `undefined` when there is none or more than
 * one (an ambiguous certificate names nobody). URIs of other schemes (a SPIFFE id of a federated
 * CA) are ignored.
 */
export function principalFromAltNames(text: string | undefined): NamedPrincipal | undefined {
  const names = parseAltNames(text)
  if (!names) return undefined
  let found: NamedPrincipal | undefined
  for (const { type, value } of names) {
    if (type !== 'URI') continue
    const principal = parsePrincipalUri(value)
    if (!principal) continue
    if (found) return undefined
    found = { uri: value, ...principal }
  }
  return found
}

/** Index just past the closing quote of the JSON string starting at `start`, or -1. */
function jsonStringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i + 1
  }
  return -1
}

function parseJsonString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal)
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}
