import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/**
 * A file of the console's built front end (`dist/console/app`), or index.html for the page routes
 * of a single-page app; undefined when the path leaves the folder or names no file.
 */
export async function staticFile(
  root: string,
  urlPath: string,
): Promise<{ body: Buffer; type: string } | undefined> {
  const clean = normalize(decodeURIComponent(urlPath.split('?')[0] ?? '/'))
  const path = join(root, clean)
  if (path !== root && !path.startsWith(root + sep)) return undefined
  const type = TYPES[extname(path)]
  try {
    if (type) return { body: await readFile(path), type }
    return { body: await readFile(join(root, 'index.html')), type: TYPES['.html']! }
  } catch {
    return undefined
  }
}
