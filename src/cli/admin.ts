import { join } from 'node:path'
import type { Command } from 'commander'
import { ZhError } from '../errors.js'
import { duration } from '../controller/ops/duration.js'
import { ControllerClient } from '../sdk/controller-client.js'
import { loadIdentity, type IdentityFile } from '../sdk/identity-file.js'
import { certificateExpiry } from '../sdk/renewal.js'

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

/** Where the admin identity file is: --admin, $ZEROHOOK_ADMIN, DIR/admin.json. */
export function adminPath(opts: AdminOptions): string {
  const path =
    opts.admin ??
    process.env.ZEROHOOK_ADMIN ??
    (opts.dir ? join(opts.dir, 'admin.json') : undefined)
  if (!path)
    throw new ZhError('ZH_USAGE', 'pass --admin FILE, set ZEROHOOK_ADMIN, or pass --dir DIR')
  return path
}

/** Loads the admin identity file, refusing any other kind. */
export async function loadAdmin(path: string): Promise<IdentityFile> {
  const identity = await loadIdentity(path)
  if (identity.kind !== 'admin')
    throw new ZhError('ZH_AUTH_ADMIN_REQUIRED', `${path} is not an admin identity`)
  return identity
}

/** An admin certificate with less than this left gets a warning on every command. */
export const ADMIN_NOTICE_MS = 30 * 86_400_000

/**
 * A warning line when the admin certificate expires within 30 days (nothing renews it by
 * itself), else undefined.
 */
export function adminExpiryWarning(
  identity: IdentityFile,
  path: string,
  now = Date.now(),
): string | undefined {
  const expiry = certificateExpiry(identity.certificate)
  const left = expiry - now
  if (left >= ADMIN_NOTICE_MS) return undefined
  const when = new Date(expiry).toISOString()
  const state = left <= 0 ? `expired at ${when}` : `expires at ${when} (in ${duration(left)})`
  return `WARN admin certificate ${path} ${state}; run \`zerohook admin renew --admin ${path}\``
}

/** Finds the admin identity file (--admin, $ZEROHOOK_ADMIN, DIR/admin.json) and makes a client. */
export async function adminClient(opts: AdminOptions): Promise<ControllerClient> {
  const path = adminPath(opts)
  const identity = await loadAdmin(path)
  const warning = adminExpiryWarning(identity, path)
  if (warning) process.stderr.write(`${warning}\n`)
  return new ControllerClient(identity, opts.controller)
}
