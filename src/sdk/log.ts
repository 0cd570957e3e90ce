import { createRequire } from 'node:module'
import type pinoType from 'pino'

/** The part of a logger the SDK uses; any pino logger is one. */
export interface SdkLog {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

type Pino = typeof pinoType

const require = createRequire(import.meta.url)

/**
 * A pino logger made on its first line: a process that never logs (a cold `zerohook send` that
 * went well) never loads pino, which is a sizeable share of a one-shot process's start.
 *
 * @example
 * ```ts
 * const log = lazyPino((pino) => pino({ level: 'warn' }, pino.destination(2)))
 * ```
 */
export function lazyPino(make: (pino: Pino) => SdkLog): SdkLog {
  let made: SdkLog | undefined
  const log = () => (made ??= loadPino(make))
  return {
    debug: (obj, msg) => log().debug(obj, msg),
    info: (obj, msg) => log().info(obj, msg),
    warn: (obj, msg) => log().warn(obj, msg),
    error: (obj, msg) => log().error(obj, msg),
  }
}

/**
 * pino, or where it cannot be loaded (a bundler did not see the `require`), JSON lines in pino's
 * shape on standard error: a log line must never be what crashes an app.
 */
function loadPino(make: (pino: Pino) => SdkLog): SdkLog {
  let pino: Pino
  try {
    pino = require('pino') as Pino
  } catch {
    return jsonLines
  }
  return make(pino)
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const

const line =
  (level: keyof typeof LEVELS, min: number) =>
  (obj: object, msg: string): void => {
    if (LEVELS[level] < min) return
    process.stderr.write(
      `${JSON.stringify({ level: LEVELS[level], time: Date.now(), ...obj, msg })}\n`,
    )
  }

/** The fallback: warnings and errors only, as the SDK's default logger would print them. */
const jsonLines: SdkLog = {
  debug: line('debug', LEVELS.warn),
  info: line('info', LEVELS.warn),
  warn: line('warn', LEVELS.warn),
  error: line('error', LEVELS.warn),
}
