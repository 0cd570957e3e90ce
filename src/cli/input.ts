import { open } from 'node:fs/promises'
import { ZhError, type ZhCode } from '../errors.js'

/**
 * Reads at most `cap` bytes of `path`: a larger file is `tooLarge`, one that cannot be opened
 * ZH_FILE_INVALID naming it. Nothing is read past the cap.
 *
 * @example
 * ```ts
 * const payload = await readFileCapped('event.json', 1 << 20, 'ZH_SEND_PAYLOAD_TOO_LARGE')
 * ```
 */
export async function readFileCapped(path: string, cap: number, tooLarge: ZhCode): Promise<Buffer> {
  let file
  try {
    file = await open(path, 'r')
  } catch (err) {
    throw new ZhError('ZH_FILE_INVALID', `${path}: ${(err as NodeJS.ErrnoException).code}`)
  }
  try {
    const buffer = Buffer.alloc(cap + 1)
    let size = 0
    for (;;) {
      const { bytesRead } = await file.read(buffer, size, buffer.length - size, size)
      if (bytesRead === 0) break
      size += bytesRead
      if (size > cap) throw new ZhError(tooLarge, `${path} is over ${cap} bytes`)
    }
    return buffer.subarray(0, size)
  } finally {
    await file.close()
  }
}

/**
 * Reads standard input to its end, at most `cap` bytes (`tooLarge` past it). A terminal is
 * refused unless `typing` allows it: the command would wait for typing the user may not expect.
 *
 * @example
 * ```ts
 * const request = await readStdinCapped(1 << 20, 'the request', 'ZH_VERIFY_REQUEST_TOO_LARGE')
 * ```
 */
export async function readStdinCapped(
  cap: number,
  what: string,
  tooLarge: ZhCode,
  { typing = false } = {},
): Promise<Buffer> {
  if (process.stdin.isTTY && !typing)
    throw new ZhError('ZH_USAGE', `pipe ${what} into standard input`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > cap) throw new ZhError(tooLarge, `${what} is over ${cap} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
