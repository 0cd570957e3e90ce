import type { ControllerClient } from '../../sdk/controller-client.js'
import { ZhError } from '../../errors.js'

/**
 * The controller routes the console passes on, with the admin identity the console holds (the
 * browser never does): what its pages show and change, nothing else (no enrollment, no router
 * control channel, no admin certificate renewal, no metrics).
 */
const ALLOWED: readonly { methods: readonly string[]; path: RegExp }[] = [
  { methods: ['GET'], path: /^\/v1\/(network|status|live|router-links)$/ },
  {
    methods: ['GET', 'POST'],
    path: /^\/v1\/(identities|services|service-policies|router-policies|routers)$/,
  },
  {
    methods: ['GET', 'PATCH', 'DELETE'],
    path: /^\/v1\/(identities|services|service-policies|router-policies|routers)\/[\w.~-]{1,128}$/,
  },
  { methods: ['GET'], path: /^\/v1\/(identities|services)\/[\w.~-]{1,128}\/access$/ },
  { methods: ['POST'], path: /^\/v1\/identities\/[\w.~-]{1,128}\/enrollment$/ },
  { methods: ['POST'], path: /^\/v1\/previews$/ },
]

/** Whether the console passes `method path` on to the controller. */
export function isAllowed(method: string, path: string): boolean {
  return ALLOWED.some((r) => r.methods.includes(method) && r.path.test(path))
}

/**
 * Sends one API call of the console's pages to the controller as the admin identity; the
 * answer (or the controller's ZH error) goes back as it is.
 */
export async function forward(
  client: ControllerClient,
  method: string,
  path: string,
  body: unknown,
): Promise<unknown> {
  if (!isAllowed(method, path)) throw new ZhError('ZH_CONSOLE_ROUTE_REFUSED', `${method} ${path}`)
  return client.call(method, path, body)
}
