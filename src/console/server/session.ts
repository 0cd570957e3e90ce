import { randomBytes, timingSafeEqual } from 'node:crypto'
import { ZhError } from '../../errors.js'

/** The session cookie's name. */
export const SESSION_COOKIE = 'zh_console'
/** A session ends this long after its last request, ms. */
const IDLE_MS = 8 * 3600_000
/** Sessions held at most (a console has one operator; this only bounds memory). */
const MAX_SESSIONS = 64

interface Session {
  csrf: string
  lastSeen: number
}

function token(): string {
  return randomBytes(32).toString('base64url')
}

/** Constant-time equality of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The console's only login: a random one-time token in the URL it prints, exchanged for a
 * session (an HttpOnly, SameSite=Strict cookie) with its own CSRF token. Nothing here is ever
 * logged or shown again.
 */
export class Sessions {
  private loginToken: string | undefined = token()
  private readonly sessions = new Map<string, Session>()

  constructor(private readonly now: () => number = Date.now) {}

  /** The login token, for the URL printed once at start. */
  get login(): string {
    if (!this.loginToken) throw new Error('the login token was used')
    return this.loginToken
  }

  /** Exchanges the one-time token for a session id; a second use, or a wrong one, is refused. */
  redeem(offered: string): string {
    if (!this.loginToken || !sameSecret(offered, this.loginToken))
      throw new ZhError('ZH_CONSOLE_LOGIN_INVALID')
    this.loginToken = undefined
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.clear()
    const id = token()
    this.sessions.set(id, { csrf: token(), lastSeen: this.now() })
    return id
  }

  /** The session of a cookie value, refreshed; ZH_CONSOLE_SESSION_REQUIRED without one. */
  require(id: string | undefined): { csrf: string } {
    const session = id === undefined ? undefined : this.find(id)
    if (!session) throw new ZhError('ZH_CONSOLE_SESSION_REQUIRED')
    session.lastSeen = this.now()
    return session
  }

  /** Throws unless `offered` is the session's CSRF token. */
  checkCsrf(session: { csrf: string }, offered: string | undefined): void {
    if (offered === undefined || !sameSecret(offered, session.csrf))
      throw new ZhError('ZH_CONSOLE_CSRF_INVALID')
  }

  private find(id: string): Session | undefined {
    for (const [key, session] of this.sessions) {
      if (this.now() - session.lastSeen > IDLE_MS) this.sessions.delete(key)
      else if (sameSecret(key, id)) return session
    }
    return undefined
  }
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The Set-Cookie value of a session: HttpOnly, SameSite=Strict, for the whole console. */
export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`
}
