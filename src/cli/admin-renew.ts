import type { Command } from 'commander'
import { saveIdentity } from '../sdk/identity-file.js'
import { certificateExpiry, renewIdentity } from '../sdk/renewal.js'
import { adminPath, loadAdmin, withAdminOptions, type AdminOptions } from './admin.js'
import { emit } from './output.js'

/**
 * `zerohook admin renew`: a new key and certificate for the admin identity, over mTLS with the
 * current one, written back to the same file. Admin certificates live as long as the
 * controller's own (`--controller-cert-ttl`, a year by default) and nothing renews them by
 * itself; every management command warns when one has under 30 days left.
 */
export function adminCommands(program: Command): void {
  const group = program.command('admin').description('The admin identity itself')
  withAdminOptions(group.command('renew'))
    .description('Renew the admin certificate (new key pair, written back to the admin file)')
    .action(async (opts: AdminOptions) => {
      const path = adminPath(opts)
      const admin = await loadAdmin(path)
      const renewed = await renewIdentity(
        opts.controller ? { ...admin, controller: opts.controller } : admin,
      )
      await saveIdentity(path, { ...renewed, controller: admin.controller })
      const notAfter = new Date(certificateExpiry(renewed.certificate)).toISOString()
      emit(opts.json, { file: path, notAfter }, () =>
        process.stdout.write(`admin certificate renewed: ${path}, valid until ${notAfter}\n`),
      )
    })
}
