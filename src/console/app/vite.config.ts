import { defineConfig } from 'vite'

/**
 * The console's front end: Preact pages bundled into dist/console/app, which `zerohook console`
 * serves under a strict CSP (own scripts and styles only: nothing inline, no CDN). A folder of
 * its own, emptied at each build: nothing else is served, and no old asset lingers.
 * Paths are relative to the repository root, where `npm run build` runs.
 */
export default defineConfig({
  root: 'src/console/app',
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../../dist/console/app',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
})
