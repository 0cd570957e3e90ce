import { benchCold } from './cold.js'
import { benchController } from './controller.js'
import { benchEdge } from './edge.js'
import { benchLinks } from './links.js'
import { benchOverlay } from './overlay.js'
import { benchRevocation } from './revocation.js'
import { benchStores } from './stores.js'
import { benchTunnel } from './tunnel.js'
import { benchWebhooks } from './webhooks.js'

/** `npm run bench`: every benchmark, one after the other, in one process. */
const suites: Record<string, () => Promise<void>> = {
  cold: benchCold,
  controller: benchController,
  stores: benchStores,
  revocation: benchRevocation,
  overlay: benchOverlay,
  links: benchLinks,
  edge: benchEdge,
  webhooks: benchWebhooks,
  tunnel: benchTunnel,
}
const only = process.argv.slice(2)
for (const [name, run] of Object.entries(suites)) {
  if (only.length === 0 || only.includes(name)) await run()
}
