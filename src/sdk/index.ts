/**
 * `zerohook`: the endpoint SDK.
 *
 * @example
 * import { enrollWithToken, saveIdentity, loadIdentity } from 'zerohook'
 * await saveIdentity('jenkins.json', await enrollWithToken(token))
 * const identity = await loadIdentity('jenkins.json')
 */
export { loadIdentity, parseIdentity, saveIdentity, type IdentityFile } from './identity-file.js'
export { enrollWithToken } from './enroll.js'
export { ControllerClient } from './controller-client.js'
export { ZhError, isZhError, type ZhCode } from '../errors.js'
export { connect, Zerohook, type ConnectOptions } from './context.js'
export { OverlayListener, type OverlaySocket } from './listener.js'
export { fileGrantCache, type GrantCache } from './grant-cache.js'
export { phases, type Phase, type PhaseName } from './phases.js'
export { startScavengePacing, stopScavengePacing } from '../wire/young-gc.js'
export type { SdkLog } from './log.js'
export { getPeerIdentity } from './http/index.js'
export {
  deliverWebhook,
  DeliveryError,
  type DeliverWebhookOptions,
  type DeliveryResult,
  type DeliveryScheme,
  type AgentSource,
} from './webhook-delivery.js'
export type { AttemptResponse } from './webhook-attempt.js'
