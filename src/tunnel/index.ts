/**
 * The tunnel (DESIGN §1): for apps that cannot embed the SDK. *Host* binds a service and forwards
 * each authorized request to a local app, optionally verifying webhooks first; *intercept*
 * listens on a local port and pipes each connection into a dial of a service, or, in HTTP mode,
 * forwards each request over pooled keep-alive circuits.
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('jenkins.json'))
 * await hostTunnel(zh, { service: 'jenkins-webhook', target: parseTarget('http://127.0.0.1:8080') })
 * ```
 */
export { HOST_KEEP_ALIVE_MS, hostTunnel, type HostTunnel, type HostTunnelOptions } from './host.js'
export {
  interceptTunnel,
  type InterceptTunnel,
  type InterceptTunnelOptions,
  type TunnelDial,
} from './intercept.js'
export { createInterceptHandler, type InterceptHttp } from './intercept-http.js'
export {
  createTunnelHandler,
  DEFAULT_TUNNEL_MAX_BODY,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type TunnelHandler,
  type TunnelHandlerOptions,
  type TunnelLog,
} from './handler.js'
export { IDENTITY_HEADER, IDENTITY_ID_HEADER, type TunnelCaller } from './headers.js'
export { isLoopbackHost, parseListen, parseTarget, type TunnelTarget } from './target.js'
export type { TunnelVerifyOptions } from './verify-gate.js'
