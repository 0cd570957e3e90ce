/**
 * The policy engine's view of the model: plain, immutable data. The engine never reads the store;
 * the controller loads a {@link PolicySnapshot} and hands it over.
 */

/** How the roles of one side of a policy combine: any one of them, or all of them. */
export type Semantic = 'anyOf' | 'allOf'

/** What a service policy permits: connecting to a service, or hosting it. */
export type Action = 'dial' | 'bind'

/** Anything roles can select: an identity, a service or a router. */
export interface Entity {
  id: string
  name: string
  attributes: readonly string[]
}

/** An identity; only enabled endpoints ever get service permissions. */
export interface IdentityEntity extends Entity {
  disabled: boolean
  kind: 'endpoint' | 'router' | 'admin'
}

/** A dial or bind policy: identities selected by `identityRoles` may act on services selected by `serviceRoles`. */
export interface ServicePolicy {
  id: string
  name: string
  type: Action
  identityRoles: readonly string[]
  serviceRoles: readonly string[]
  /** Applies to each side separately. */
  semantic: Semantic
}

/** Identities selected by `identityRoles` may connect to routers selected by `routerRoles`. */
export interface RouterPolicy {
  id: string
  name: string
  identityRoles: readonly string[]
  routerRoles: readonly string[]
  /** Applies to each side separately. */
  semantic: Semantic
}

/** Everything the engine evaluates, read at one instant. */
export interface PolicySnapshot {
  identities: readonly IdentityEntity[]
  services: readonly Entity[]
  routers: readonly Entity[]
  servicePolicies: readonly ServicePolicy[]
  routerPolicies: readonly RouterPolicy[]
}

/** One thing an identity may do to one service. */
export interface Permission {
  identityId: string
  serviceId: string
  action: Action
}

/** One router an identity may connect to. */
export interface RouterAccess {
  identityId: string
  routerId: string
}
