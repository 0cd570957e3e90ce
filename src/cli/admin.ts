import { join } from 'node:path'
import type { Command } from 'commander'
import { ZhError } from '../errors.js'
import { ControllerClient } from '../sdk/controller-client.js'
import { loadIdentity } from '../sdk/identity-file.js'

/** Options every management command takes. */
export interface AdminOptions {
  admin?: string
  dir?: string
  controller?: string
  json?: boolean
}

/** Adds the management options to a command. */
export function withAdminOptions(cmd: Command): Command {
  return cmd
    .option('--admin <file>', 'admin identity file (default: $ZEROHOOK_ADMIN, else DIR/admin.json)')
    .option('--dir <dir>', 'controller directory whose admin.json to use')
    .option('--controller <url>', 'controller URL (default: the one in the admin file)')
    .option('--json', 'machine-readable output')
}

/** Finds the admin identity file (--admin, $ZEROHOOK_ADMIN, DIR/admin.json) and makes a client. */
export async function adminClient(opts: AdminOptions): Promise<ControllerClient> {
  const path =
    opts.admin ??
    process.env.ZEROHOOK_ADMIN ??
    (opts.dir ? join(opts.dir, 'admin.json') : undefined)
  if (!path)
    throw new ZhError('ZH_USAGE', 'pass --admin FILE, set ZEROHOOK_ADMIN, or pass --dir DIR')
  const identity = await loadIdentity(path)
  if (identity.kind !== 'admin')
    throw new ZhError('ZH_AUTH_ADMIN_REQUIRED', `${path} is not an admin identity`)
  return new ControllerClient(identity, opts.controller)
}
