import { applyChange } from '../changes.js'
import type { ControllerContext } from '../context.js'
import {
  deleteEntity,
  insertEntity,
  updateEntity,
  type AttributedEntity,
} from '../model/entities.js'
import { checkAttributes, checkName } from '../policy/names.js'

/** Creates a service. */
export async function createService(
  ctx: ControllerContext,
  input: { name: string; attributes?: string[] },
): Promise<AttributedEntity> {
  const clean = {
    name: checkName(input.name),
    attributes: checkAttributes(input.attributes ?? []),
  }
  return ctx.db.transaction((tx) => insertEntity(tx, 'services', clean), { exclusive: true })
}

/** Renames a service or replaces its attributes; lost permissions are pushed. */
export async function changeService(
  ctx: ControllerContext,
  ref: string,
  patch: { name?: string; attributes?: string[] },
): Promise<AttributedEntity> {
  const clean = {
    name: patch.name === undefined ? undefined : checkName(patch.name),
    attributes: patch.attributes === undefined ? undefined : checkAttributes(patch.attributes),
  }
  return applyChange(ctx, ({ tx }) => updateEntity(tx, 'services', ref, clean))
}

/** Deletes a service; every dial and bind of it is lost. */
export async function removeService(
  ctx: ControllerContext,
  ref: string,
): Promise<AttributedEntity> {
  return applyChange(ctx, ({ tx }) => deleteEntity(tx, 'services', ref))
}
