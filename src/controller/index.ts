/**
 * `zerohook/controller`: run a controller in-process and manage its network programmatically.
 *
 * @example
 * import { initController, runController } from 'zerohook/controller'
 * await initController({ dir: './ctl', network: 'acme' })
 * const controller = await runController({ dir: './ctl' })
 */
export { initController, type InitOptions } from './init.js'
export { runController, type RunOptions, type RunningController } from './run.js'
export type { ControllerContext, ControllerSettings } from './context.js'
export type { ChangeEvent } from './changes.js'
export { verifyGrant, type GrantClaims, type GrantExpectation } from './grants/token.js'
export { createIdentity, changeIdentity, removeIdentity } from './ops/identities.js'
export { createService, changeService, removeService } from './ops/services.js'
export {
  createServicePolicy,
  changeServicePolicy,
  removeServicePolicy,
  createRouterPolicy,
  removeRouterPolicy,
} from './ops/policies.js'
export { createRouter, removeRouter } from './ops/routers.js'
export type { GrantsResponse } from './ops/grants.js'
