import { digestId } from '../crypto.js'
import { checkId } from './shared.js'

/**
 * The id of a JSON event body (Stripe's `id`, Paddle's `event_id`), read only after the body's
 * signature verified; a digest of the signed parts when the body is not such JSON.
 */
export function bodyId(
  body: Uint8Array,
  field: string,
  signed: readonly (string | Uint8Array)[],
): string {
  const value = jsonObject(body)?.[field]
  return typeof value === 'string' && value !== '' ? checkId(value, field) : digestId(...signed)
}

/** The body parsed as a JSON object, or undefined when it is not one. */
export function jsonObject(body: Uint8Array): Record<string, unknown> | undefined {
  try {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
