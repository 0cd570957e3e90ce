import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { ZhError } from '../errors.js'
import { invalid, mapping, text, type Raw } from './fields.js'

/** Where the configuration reads relative files and environment variables from. */
export interface SourceContext {
  /** The directory of the configuration file. */
  readonly baseDir: string
  readonly env: NodeJS.ProcessEnv
}

/** A path of the configuration, relative to the configuration file's directory. */
export function configPath(value: Raw, field: string, ctx: SourceContext): string {
  const path = text(value, field)
  return isAbsolute(path) ? path : resolve(ctx.baseDir, path)
}

/** Reads a file the configuration names (TLS material), naming the field when it cannot. */
export function readConfigFile(value: Raw, field: string, ctx: SourceContext): string {
  const path = configPath(value, field, ctx)
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ZhError('ZH_GATEWAY_CONFIG_SOURCE_MISSING', `${field}: cannot read ${path}`, {
      cause,
    })
  }
}

/**
 * Resolves a secret source: `{ env: NAME }`, `{ file: PATH }` (trailing newline dropped) or
 * `{ value: TEXT }`. Errors name the field and the variable or path, never the secret.
 */
export function readSecret(value: Raw, field: string, ctx: SourceContext): string {
  const source = mapping(value, field, ['env', 'file', 'value'])
  const kinds = Object.keys(source)
  if (kinds.length !== 1) throw invalid(field, 'needs exactly one of env, file or value')
  let secret: string | undefined
  if (source.env !== undefined) {
    const name = text(source.env, `${field}.env`)
    secret = ctx.env[name]
    if (secret === undefined || secret === '') {
      throw new ZhError('ZH_GATEWAY_CONFIG_SOURCE_MISSING', `${field}: $${name} is not set`)
    }
  } else if (source.file !== undefined) {
    secret = readConfigFile(source.file, `${field}.file`, ctx).replace(/\r?\n$/, '')
    if (secret === '') throw invalid(`${field}.file`, 'the file is empty')
  } else {
    secret = text(source.value, `${field}.value`)
  }
  return secret
}
