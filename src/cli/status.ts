import type { Command } from 'commander'
import type { NetworkStatus } from '../controller/ops/status.js'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, printTable } from './output.js'

/**
 * `zerohook status`: every certificate that keeps the network alive (the CA, the controller,
 * each router and identity) with its expiry and last renewal, and a `WARN` line for each that
 * expires soon or was not renewed when due. Warnings do not fail the command (exit 0).
 */
export function statusCommand(program: Command): void {
  withAdminOptions(program.command('status'))
    .description('Certificate expiry and renewals of the CA, controller, routers and identities')
    .action(async (opts: AdminOptions) => {
      const r = await (await adminClient(opts)).call<NetworkStatus>('GET', '/v1/status')
      emit(opts.json, r, () => {
        process.stdout.write(`network ${r.network} at ${r.now}\n`)
        printTable(r.certificates, [
          ['KIND', (c) => c.kind],
          ['NAME', (c) => c.name],
          ['EXPIRES', (c) => c.notAfter ?? '-'],
          ['IN', (c) => (c.expiresIn === null ? '-' : left(c.expiresIn))],
          ['RENEWALS', (c) => String(c.renewals)],
          ['LAST_RENEWAL', (c) => c.lastRenewal ?? '-'],
          ['AUTO', (c) => (c.renewsItself ? 'yes' : 'no')],
        ])
        for (const w of r.warnings) process.stdout.write(`WARN ${w}\n`)
      })
    })
}

function left(seconds: number): string {
  if (seconds <= 0) return 'expired'
  if (seconds >= 2 * 86_400) return `${Math.floor(seconds / 86_400)}d`
  if (seconds >= 2 * 3600) return `${Math.floor(seconds / 3600)}h`
  if (seconds >= 120) return `${Math.floor(seconds / 60)}m`
  return `${seconds}s`
}
