import { defineConfig } from 'vite'

/**
 * The console's front end: Preact pages bundled into dist/console, which `zerohook console`
 * serves under a strict CSP (own scripts and styles only: nothing inline, no CDN).
 * Paths are relative to the repository root, where `npm run build` runs. The folder is not
 * emptied first: tsc puts the console's server in dist/console/server.
 */
export default defineConfig({
  root: 'src/console/app',
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../../dist/console',
    emptyOutDir: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
})
