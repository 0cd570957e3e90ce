import { isZhError } from './errors.js'

/**
 * Awaits `p` and returns the ZH_* code it failed with (also from `err.cause`, as fetch wraps
 * errors), or 'no error' when it succeeded: tests assert on codes, never on messages.
 */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'no error'
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause
    if (isZhError(err)) return err.code
    if (isZhError(cause)) return cause.code
    return String(err)
  }
}

/** Runs `fn` and returns the ZH_* code it threw, or 'no error'. */
export function codeOfSync(fn: () => unknown): string {
  try {
    fn()
    return 'no error'
  } catch (err) {
    return isZhError(err) ? err.code : String(err)
  }
}
