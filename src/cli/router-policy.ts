import type { Command } from 'commander'
import type { RouterPolicyRecord } from '../controller/model/policies.js'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, list, printRecord, printTable, type Column } from './output.js'

const columns: Column<RouterPolicyRecord>[] = [
  ['NAME', (p) => p.name],
  ['IDENTITIES', (p) => p.identityRoles.join(',')],
  ['ROUTERS', (p) => p.routerRoles.join(',')],
  ['SEMANTIC', (p) => p.semantic],
]

type Options = AdminOptions & { identities?: string; routers?: string; semantic?: string }

/**
 * `zerohook router-policy ...`: which identities may use which routers. The network starts with
 * a `default` policy (#all may use #all); delete it to confine identities to some routers.
 */
export function routerPolicyCommands(program: Command): void {
  const group = program
    .command('router-policy')
    .description('Manage router policies (which identities may use which routers)')
  const one = (name: string) => `/v1/router-policies/${encodeURIComponent(name)}`

  withAdminOptions(group.command('create <name>'))
    .description('Create a router policy')
    .requiredOption(
      '--identities <roles>',
      'identity roles: #attribute, @name or #all, comma-separated',
    )
    .requiredOption('--routers <roles>', 'router roles: #attribute, @name or #all, comma-separated')
    .option('--semantic <semantic>', 'anyOf or allOf', 'anyOf')
    .action(async (name: string, opts: Options) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policy: RouterPolicyRecord }>('POST', '/v1/router-policies', {
        name,
        identityRoles: list(opts.identities),
        routerRoles: list(opts.routers),
        semantic: opts.semantic,
      })
      emit(opts.json, r, () => printRecord({ ...r.policy }))
    })

  withAdminOptions(group.command('list'))
    .description('List router policies')
    .action(async (opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policies: RouterPolicyRecord[] }>('GET', '/v1/router-policies')
      emit(opts.json, r, () => printTable(r.policies, columns))
    })

  withAdminOptions(group.command('show <name>'))
    .description('Show one router policy')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policy: RouterPolicyRecord }>('GET', one(name))
      emit(opts.json, r, () => printRecord({ ...r.policy }))
    })

  withAdminOptions(group.command('delete <name>'))
    .description('Delete a router policy (identities lose those routers at once)')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policy: RouterPolicyRecord }>('DELETE', one(name))
      emit(opts.json, r, () => process.stdout.write(`deleted router policy ${r.policy.name}\n`))
    })
}
