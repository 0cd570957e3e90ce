/**
 * `zerohook/router`: run a router in-process.
 *
 * @example
 * import { startRouter } from 'zerohook/router'
 * const router = await startRouter({ identity, listen: '0.0.0.0:4433', log })
 */
export { startRouter, type RouterOptions, type RunningRouter } from './router.js'
export type { RouterMetrics } from './metrics.js'
export type { RouterIdentity } from './identity.js'
