import type { Session } from './types.js'

/** An error answer of the console or the controller: `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

let csrf = ''

/** Reads the session once at start; its CSRF token goes with every change. */
export async function loadSession(): Promise<Session> {
  const session = await call<Session>('GET', '/api/session')
  csrf = session.csrf
  return session
}

/**
 * One call of the console's API (same origin: the session cookie goes along by itself).
 * A change carries the session's CSRF token; an error answer throws an {@link ApiError}.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers['x-csrf-token'] = csrf
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  const data = (await res.json().catch(() => null)) as
    (T & { error?: { code: string; message: string } }) | null
  if (!res.ok) {
    const e = data?.error
    throw new ApiError(e?.code ?? 'ZH_HTTP', e?.message ?? `HTTP ${res.status}`, res.status)
  }
  return data as T
}

/** `GET /api/v1/<path>` of the controller. */
export const get = <T>(path: string): Promise<T> => call<T>('GET', `/api/v1/${path}`)

/** Shown to the user for a failed call: the stable code first, then what to do. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}
