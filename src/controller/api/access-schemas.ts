/** JSON schemas of the permission preview and the access views (issue 14: web console). */
import { CHANGE_KINDS, type ChangeKind } from '../policy/apply-change.js'
import {
  createEntityBody,
  createIdentityBody,
  createRouterPolicyBody,
  createServicePolicyBody,
  updateEntityBody,
  updateIdentityBody,
  updateServicePolicyBody,
} from './schemas.js'

const ref = { type: 'string', minLength: 1, maxLength: 64 } as const
const names = { type: 'array', items: { type: 'string' } } as const
const entityRef = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
  required: ['id', 'name'],
} as const

/**
 * The body each change kind takes: exactly the real route's body schema, so a preview refuses
 * (ZH_BAD_REQUEST) what the real route refuses. Updates and deletes also need `ref`.
 */
const rules: Record<ChangeKind, object> = {
  'service-policy.create': { required: ['body'], properties: { body: createServicePolicyBody } },
  'service-policy.update': { required: ['ref'], properties: { body: updateServicePolicyBody } },
  'service-policy.delete': { required: ['ref'] },
  'router-policy.create': { required: ['body'], properties: { body: createRouterPolicyBody } },
  'router-policy.delete': { required: ['ref'] },
  'identity.create': { required: ['body'], properties: { body: createIdentityBody } },
  'identity.update': { required: ['ref'], properties: { body: updateIdentityBody } },
  'identity.delete': { required: ['ref'] },
  'service.create': { required: ['body'], properties: { body: createEntityBody } },
  'service.update': { required: ['ref'], properties: { body: updateEntityBody } },
  'service.delete': { required: ['ref'] },
}

export const previewBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    change: { type: 'string', enum: CHANGE_KINDS },
    ref,
    body: { type: 'object' },
  },
  required: ['change'],
  allOf: Object.entries(rules).map(([kind, then]) => ({
    if: { properties: { change: { const: kind } } },
    then,
  })),
} as const

const permissionView = {
  type: 'object',
  properties: {
    identity: entityRef,
    service: entityRef,
    action: { type: 'string', enum: ['dial', 'bind'] },
  },
  required: ['identity', 'service', 'action'],
} as const

const accessView = {
  type: 'object',
  properties: { identity: entityRef, router: entityRef },
  required: ['identity', 'router'],
} as const

export const previewResult = {
  type: 'object',
  properties: {
    added: { type: 'array', items: permissionView },
    removed: { type: 'array', items: permissionView },
    addedRouterAccess: { type: 'array', items: accessView },
    removedRouterAccess: { type: 'array', items: accessView },
  },
  required: ['added', 'removed', 'addedRouterAccess', 'removedRouterAccess'],
} as const

const grantedTo = {
  type: 'array',
  items: {
    type: 'object',
    properties: { identity: entityRef, policies: names },
    required: ['identity', 'policies'],
  },
} as const

export const serviceAccess = {
  type: 'object',
  properties: { service: entityRef, dial: grantedTo, bind: grantedTo },
  required: ['service', 'dial', 'bind'],
} as const

export const identityAccess = {
  type: 'object',
  properties: {
    identity: entityRef,
    services: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          service: entityRef,
          actions: {
            type: 'array',
            items: {
              type: 'object',
              properties: { action: { type: 'string', enum: ['dial', 'bind'] }, policies: names },
              required: ['action', 'policies'],
            },
          },
        },
        required: ['service', 'actions'],
      },
    },
    routers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, policies: names },
        required: ['id', 'name', 'policies'],
      },
    },
  },
  required: ['identity', 'services', 'routers'],
} as const
