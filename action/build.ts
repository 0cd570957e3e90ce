// Bundles the GitHub Action into one file that needs no install: `npm run build:action`.
// The freshness test (test/action.system.test.ts) rebuilds it to a temp path and compares.
import { build, type Metafile } from 'esbuild'
import process from 'node:process'
import { URL, fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))

/** Builds the bundle to `outfile` (default action/dist/index.js); resolves esbuild's metafile. */
export async function buildAction(outfile = `${here}dist/index.js`): Promise<Metafile> {
  const result = await build({
    entryPoints: [`${here}src/main.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Bundled CommonJS modules call require() for Node's built-ins; ESM has none, so make one.
    banner: {
      js: "import { createRequire as __zhCreateRequire } from 'node:module'; const require = __zhCreateRequire(import.meta.url);",
    },
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Keep the bundle identical for identical sources, wherever it is built.
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  })
  return result.metafile
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const meta = await buildAction(process.argv[2])
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0)
  process.stdout.write(`action bundle: ${bytes} bytes, ${Object.keys(meta.inputs).length} inputs\n`)
}
