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
export function createService(
  ctx: ControllerContext,
  input: { name: string; attributes?: string[] },
): AttributedEntity {
  return insertEntity(ctx.db, 'services', {
    name: checkName(input.name),
    attributes: checkAttributes(input.attributes ?? []),
  })
}

/** Renames a service or replaces its attributes; lost permissions are pushed. */
export function changeService(
  ctx: ControllerContext,
  ref: string,
  patch: { name?: string; attributes?: string[] },
): AttributedEntity {
  const clean = {
    name: patch.name === undefined ? undefined : checkName(patch.name),
    attributes: patch.attributes === undefined ? undefined : checkAttributes(patch.attributes),
  }
  return applyChange(ctx, () => updateEntity(ctx.db, 'services', ref, clean))
}

/** Deletes a service; every dial and bind of it is lost. */
export function removeService(ctx: ControllerContext, ref: string): AttributedEntity {
  return applyChange(ctx, () => deleteEntity(ctx.db, 'services', ref))
}
