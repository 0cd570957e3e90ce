import { defineConfig } from 'vite'

/**
 * The console's front end: Preact pages bundled into dist/console, which `zerohook console`
 * serves under a strict CSP (own scripts and styles only: nothing inline, no CDN).
 * Paths are relative to the repository root, where `npm run build` runs.
 */
export default defineConfig({
  root: 'src/console/app',
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../../dist/console',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
})
