/** A body as it may have been before a usual change, and the change that would explain it. */
export interface BodyVariant {
  readonly body: Buffer
  /** What happened to the signed body, as a phrase: "a newline was added at the end". */
  readonly change: string
}

const NON_ASCII = /[\u007f-\uffff]/g

/**
 * The bodies a signature may have been made over when the one at hand fails: the usual ways a
 * body changes between the sender and the verifier (an editor's final newline, line ends turned
 * CRLF or LF, JSON parsed and written again, compacted, indented or with its escapes undone).
 * Each differs from `body` and from the others.
 */
export function bodyVariants(body: Buffer): BodyVariant[] {
  const text = body.toString('utf8')
  const candidates: [string, string][] = []
  if (text.endsWith('\r\n')) candidates.push([text.slice(0, -2), 'a CRLF was added at the end'])
  if (text.endsWith('\n')) candidates.push([text.slice(0, -1), 'a newline was added at the end'])
  if (/\s$/.test(text)) candidates.push([text.trimEnd(), 'white space was added at the end'])
  candidates.push([`${text}\n`, 'the final newline was removed'])
  candidates.push([`${text}\r\n`, 'the final CRLF was removed'])
  if (text.includes('\r\n')) {
    candidates.push([text.replace(/\r\n/g, '\n'), 'its line ends were changed from LF to CRLF'])
  }
  if (/(^|[^\r])\n/.test(text)) {
    candidates.push([text.replace(/\r?\n/g, '\r\n'), 'its line ends were changed from CRLF to LF'])
  }
  for (const [json, change] of jsonForms(text)) {
    candidates.push([json, change], [`${json}\n`, change])
  }
  const seen = new Set([text])
  const variants: BodyVariant[] = []
  for (const [candidate, change] of candidates) {
    if (seen.has(candidate)) continue
    seen.add(candidate)
    variants.push({ body: Buffer.from(candidate, 'utf8'), change })
  }
  return variants
}

// The JSON written again the ways senders write it: the body was parsed and re-serialized.
function jsonForms(text: string): [string, string][] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return []
  }
  if (typeof value !== 'object' || value === null) return []
  const compact = JSON.stringify(value)
  const escaped = compact.replace(
    NON_ASCII,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  const again = 'the JSON was parsed and written again; it was signed'
  return [
    [compact, `${again} compact`],
    [JSON.stringify(value, null, 2), `${again} indented by 2 spaces`],
    [JSON.stringify(value, null, 4), `${again} indented by 4 spaces`],
    [JSON.stringify(value, null, '\t'), `${again} indented by tabs`],
    [escaped, `${again} with non-ASCII characters escaped as \\uXXXX`],
    [
      escaped.replace(/\//g, '\\/'),
      `${again} with "/" and non-ASCII characters escaped, as PHP does`,
    ],
  ]
}
