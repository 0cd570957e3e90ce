/** What the controller's API answers, as the console's pages read it (see src/controller/api). */

export interface Session {
  csrf: string
  network: string
  admin: string
  controller: string
  /** A sender's outbox was given (`--outbox`). */
  deliveries?: boolean
  /** A gateway's admin API was given (`--gateway`). */
  gateway?: boolean
}

export interface Ref {
  id: string
  name: string
}

export interface Identity extends Ref {
  kind: 'endpoint' | 'admin'
  attributes: string[]
  disabled: boolean
  enrolled: boolean
}

export interface Entity extends Ref {
  attributes: string[]
}

export type Semantic = 'anyOf' | 'allOf'

export interface ServicePolicy extends Ref {
  type: 'dial' | 'bind'
  identityRoles: string[]
  serviceRoles: string[]
  semantic: Semantic
}

export interface RouterPolicy extends Ref {
  identityRoles: string[]
  routerRoles: string[]
  semantic: Semantic
}

export type ChangeKind =
  | 'service-policy.create'
  | 'service-policy.update'
  | 'service-policy.delete'
  | 'router-policy.create'
  | 'router-policy.delete'
  | 'identity.create'
  | 'identity.update'
  | 'identity.delete'
  | 'service.create'
  | 'service.update'
  | 'service.delete'

/** One proposed change, as `POST /v1/previews` takes it. */
export interface Change {
  change: ChangeKind
  ref?: string
  body?: object
}

export interface Permission {
  identity: Ref
  service: Ref
  action: 'dial' | 'bind'
}

export interface RouterAccess {
  identity: Ref
  router: Ref
}

export interface Preview {
  added: Permission[]
  removed: Permission[]
  addedRouterAccess: RouterAccess[]
  removedRouterAccess: RouterAccess[]
}

export interface LiveCircuit {
  id: string
  service: string
  serviceName?: string
  dialer: string
  dialerName?: string
  terminator?: string
  terminatorName?: string
  via?: string
  viaName?: string
  since: string
}

export interface LiveTerminator {
  service: string
  serviceName?: string
  identity: string
  identityName?: string
  circuits: number
}

export interface LiveRouter {
  id: string
  name: string
  address: string | null
  online: boolean
  circuitCount: number
  terminatorCount: number
  circuits: LiveCircuit[]
  terminators: LiveTerminator[]
}

export interface Live {
  routers: LiveRouter[]
}

export interface RouterLinks {
  routers: { id: string; links: Record<string, number>; routes: Record<string, string[]> }[]
}

export interface Status {
  network: string
  now: string
  certificates: {
    kind: string
    id: string
    name: string
    notAfter: string | null
    expiresIn: number | null
    warning?: string
  }[]
  warnings: string[]
}

export interface NetworkInfo {
  network: string
  controller: string
  controllers: string[]
  caFingerprint: string
}

export interface ServiceAccess {
  service: Ref
  dial: { identity: Ref; policies: string[] }[]
  bind: { identity: Ref; policies: string[] }[]
}

export interface IdentityAccess {
  identity: Ref
  services: { service: Ref; actions: { action: 'dial' | 'bind'; policies: string[] }[] }[]
  routers: { id: string; name: string; policies: string[] }[]
}
