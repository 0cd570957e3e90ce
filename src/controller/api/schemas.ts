/** JSON schemas shared by the routes; the OpenAPI document is generated from them. */

const name = { type: 'string', minLength: 1, maxLength: 64 } as const
const strings = { type: 'array', items: { type: 'string', maxLength: 128 }, maxItems: 64 } as const
const timestamp = { type: 'string', format: 'date-time' } as const

export const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['ref'],
} as const

export const identity = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['endpoint', 'admin'] },
    attributes: strings,
    disabled: { type: 'boolean' },
    enrolled: { type: 'boolean' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
  required: ['id', 'name', 'kind', 'attributes', 'disabled', 'enrolled'],
} as const

export const entity = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    attributes: strings,
    createdAt: timestamp,
    updatedAt: timestamp,
  },
  required: ['id', 'name', 'attributes'],
} as const

export const servicePolicy = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', enum: ['dial', 'bind'] },
    identityRoles: strings,
    serviceRoles: strings,
    semantic: { type: 'string', enum: ['anyOf', 'allOf'] },
    createdAt: timestamp,
  },
  required: ['id', 'name', 'type', 'identityRoles', 'serviceRoles', 'semantic'],
} as const

export const routerPolicy = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    identityRoles: strings,
    routerRoles: strings,
    semantic: { type: 'string', enum: ['anyOf', 'allOf'] },
    createdAt: timestamp,
  },
  required: ['id', 'name', 'identityRoles', 'routerRoles', 'semantic'],
} as const

/** A one-time enrollment token: returned once, at creation. */
export const enrollment = {
  type: 'object',
  properties: { token: { type: 'string' }, expiresAt: timestamp },
  required: ['token', 'expiresAt'],
} as const

export const createIdentityBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name, attributes: strings, kind: { type: 'string', enum: ['endpoint', 'admin'] } },
  required: ['name'],
} as const

export const updateIdentityBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name, attributes: strings, disabled: { type: 'boolean' } },
} as const

export const createEntityBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name, attributes: strings },
  required: ['name'],
} as const

export const updateEntityBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name, attributes: strings },
} as const

export const createServicePolicyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name,
    type: { type: 'string', enum: ['dial', 'bind'] },
    identityRoles: strings,
    serviceRoles: strings,
    semantic: { type: 'string', enum: ['anyOf', 'allOf'] },
  },
  required: ['name', 'type', 'identityRoles', 'serviceRoles'],
} as const

export const updateServicePolicyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    identityRoles: strings,
    serviceRoles: strings,
    semantic: { type: 'string', enum: ['anyOf', 'allOf'] },
  },
} as const

export const createRouterPolicyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name,
    identityRoles: strings,
    routerRoles: strings,
    semantic: { type: 'string', enum: ['anyOf', 'allOf'] },
  },
  required: ['name', 'identityRoles', 'routerRoles'],
} as const

export const enrollBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    token: { type: 'string', maxLength: 4096 },
    csr: { type: 'string', maxLength: 16384 },
  },
  required: ['token', 'csr'],
} as const

export const renewBody = {
  type: 'object',
  additionalProperties: false,
  properties: { csr: { type: 'string', maxLength: 16384 } },
  required: ['csr'],
} as const

const jwk = {
  type: 'object',
  properties: {
    kty: { type: 'string' },
    crv: { type: 'string' },
    x: { type: 'string' },
    kid: { type: 'string' },
    alg: { type: 'string' },
    use: { type: 'string' },
  },
  required: ['kty', 'crv', 'x'],
} as const

export const enrollResult = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    network: { type: 'string' },
    controller: { type: 'string' },
    controllers: { type: 'array', items: { type: 'string' } },
    certificate: { type: 'string' },
    ca: { type: 'string' },
    grantKey: jwk,
    knock: { type: 'array', items: { type: 'string' }, maxItems: 2 },
  },
  required: [
    'id',
    'name',
    'kind',
    'network',
    'controller',
    'controllers',
    'certificate',
    'ca',
    'grantKey',
  ],
} as const

export const networkInfo = {
  type: 'object',
  properties: {
    network: { type: 'string' },
    controller: { type: 'string' },
    controllers: { type: 'array', items: { type: 'string' } },
    caFingerprint: { type: 'string' },
    grantKey: jwk,
  },
  required: ['network', 'controller', 'controllers', 'caFingerprint', 'grantKey'],
} as const

export const caBundle = {
  type: 'object',
  properties: { network: { type: 'string' }, ca: { type: 'string' } },
  required: ['network', 'ca'],
} as const

export const grantsResponse = {
  type: 'object',
  properties: {
    identity: {
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' }, attributes: strings },
    },
    grants: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          service: {
            type: 'object',
            properties: { id: { type: 'string' }, name: { type: 'string' } },
          },
          action: { type: 'string', enum: ['dial', 'bind'] },
          token: { type: 'string' },
          expiresAt: timestamp,
        },
      },
    },
    services: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          attributes: strings,
          actions: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    routers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          address: { type: ['string', 'null'] },
        },
      },
    },
    knock: { type: 'array', items: { type: 'string' }, maxItems: 2 },
  },
  required: ['identity', 'grants', 'services', 'routers'],
} as const
