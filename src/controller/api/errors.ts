import type { FastifyError, FastifyInstance } from 'fastify'
import { ZhError, type ZhCode } from '../../errors.js'

/** The JSON body of every error answer: `{ "error": { "code", "message" } }`. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        detail: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const

function toZhError(err: FastifyError | Error): ZhError {
  if (err instanceof ZhError) return err
  const fe = err as FastifyError
  const byFastifyCode: Record<string, ZhCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'ZH_BODY_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ZH_BAD_REQUEST',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'ZH_BAD_REQUEST',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ZH_BAD_REQUEST',
    FST_ERR_VALIDATION: 'ZH_BAD_REQUEST',
  }
  const mapped = fe.validation ? 'ZH_BAD_REQUEST' : fe.code ? byFastifyCode[fe.code] : undefined
  if (mapped) return new ZhError(mapped, fe.message)
  if (fe.statusCode === 400 || err instanceof SyntaxError)
    return new ZhError('ZH_BAD_REQUEST', fe.message)
  return new ZhError('ZH_INTERNAL', undefined, { cause: err })
}

function errorBody(zh: ZhError): { code: string; message: string; detail?: string } {
  return { code: zh.code, message: zh.message, ...(zh.detail ? { detail: zh.detail } : {}) }
}

/** Maps every failure to a ZH_* code and status; internals are logged, never returned. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const zh = toZhError(err)
    if (zh.code === 'ZH_INTERNAL') req.log.error({ err }, 'internal error')
    else req.log.info({ code: zh.code }, 'request refused')
    return reply.status(zh.status).send({ error: errorBody(zh) })
  })
  app.setNotFoundHandler((req, reply) => {
    const zh = new ZhError('ZH_NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`)
    return reply.status(404).send({ error: errorBody(zh) })
  })
}
