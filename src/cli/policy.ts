import type { Command } from 'commander'
import type { ServicePolicyRecord } from '../controller/model/policies.js'
import { ZhError } from '../errors.js'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, list, printRecord, printTable, type Column } from './output.js'

const columns: Column<ServicePolicyRecord>[] = [
  ['NAME', (p) => p.name],
  ['TYPE', (p) => p.type],
  ['IDENTITIES', (p) => p.identityRoles.join(',')],
  ['SERVICES', (p) => p.serviceRoles.join(',')],
  ['SEMANTIC', (p) => p.semantic],
]

type PolicyOptions = AdminOptions & {
  type?: string
  identities?: string
  services?: string
  semantic?: string
}

/** `zerohook policy ...`: dial and bind policies. */
export function policyCommands(program: Command): void {
  const group = program
    .command('policy')
    .description('Manage service policies (who may dial or bind which services)')
  const one = (name: string) => `/v1/service-policies/${encodeURIComponent(name)}`

  withAdminOptions(group.command('create <name>'))
    .description('Create a dial or bind policy')
    .requiredOption('--type <type>', 'dial or bind')
    .requiredOption(
      '--identities <roles>',
      'identity roles: #attribute, @name or #all, comma-separated',
    )
    .requiredOption(
      '--services <roles>',
      'service roles: #attribute, @name or #all, comma-separated',
    )
    .option('--semantic <semantic>', 'anyOf or allOf', 'anyOf')
    .action(async (name: string, opts: PolicyOptions) => {
      if (opts.type !== 'dial' && opts.type !== 'bind')
        throw new ZhError('ZH_USAGE', '--type must be dial or bind')
      const r = await (
        await adminClient(opts)
      ).call<{ policy: ServicePolicyRecord }>('POST', '/v1/service-policies', {
        name,
        type: opts.type,
        identityRoles: list(opts.identities),
        serviceRoles: list(opts.services),
        semantic: opts.semantic,
      })
      emit(opts.json, r, () => printRecord({ ...r.policy }))
    })

  withAdminOptions(group.command('update <name>'))
    .description("Replace a policy's roles or semantic")
    .option('--identities <roles>', 'identity roles, comma-separated')
    .option('--services <roles>', 'service roles, comma-separated')
    .option('--semantic <semantic>', 'anyOf or allOf')
    .action(async (name: string, opts: PolicyOptions) => {
      const body = {
        ...(opts.identities !== undefined ? { identityRoles: list(opts.identities) } : {}),
        ...(opts.services !== undefined ? { serviceRoles: list(opts.services) } : {}),
        ...(opts.semantic !== undefined ? { semantic: opts.semantic } : {}),
      }
      const r = await (
        await adminClient(opts)
      ).call<{ policy: ServicePolicyRecord }>('PATCH', one(name), body)
      emit(opts.json, r, () => printRecord({ ...r.policy }))
    })

  withAdminOptions(group.command('list'))
    .description('List service policies')
    .action(async (opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policies: ServicePolicyRecord[] }>('GET', '/v1/service-policies')
      emit(opts.json, r, () => printTable(r.policies, columns))
    })

  withAdminOptions(group.command('show <name>'))
    .description('Show one policy')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policy: ServicePolicyRecord }>('GET', one(name))
      emit(opts.json, r, () => printRecord({ ...r.policy }))
    })

  withAdminOptions(group.command('delete <name>'))
    .description('Delete a policy')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ policy: ServicePolicyRecord }>('DELETE', one(name))
      emit(opts.json, r, () => process.stdout.write(`deleted policy ${r.policy.name}\n`))
    })
}
