import type { Command } from 'commander'
import { writeSecretFile } from '../pki/files.js'
import type { Identity } from '../controller/model/identities.js'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, list, printRecord, printTable, type Column } from './output.js'

const columns: Column<Identity>[] = [
  ['NAME', (i) => i.name],
  ['ID', (i) => i.id],
  ['KIND', (i) => i.kind],
  ['ATTRIBUTES', (i) => i.attributes.map((a) => `#${a}`).join(',')],
  ['ENROLLED', (i) => (i.enrolled ? 'yes' : 'no')],
  ['DISABLED', (i) => (i.disabled ? 'yes' : 'no')],
]

function show(opts: AdminOptions, identity: Identity): void {
  emit(opts.json, { identity }, () => printRecord({ ...identity, attributes: identity.attributes }))
}

async function patch(name: string, body: object, opts: AdminOptions): Promise<void> {
  const client = await adminClient(opts)
  const r = await client.call<{ identity: Identity }>(
    'PATCH',
    `/v1/identities/${encodeURIComponent(name)}`,
    body,
  )
  show(opts, r.identity)
}

/** `zerohook identity ...` */
export function identityCommands(program: Command): void {
  const group = program.command('identity').description('Manage identities (endpoints and admins)')

  withAdminOptions(group.command('create <name>'))
    .description('Create an identity and its one-time enrollment token')
    .option('--attr <attrs>', 'role attributes, comma-separated (e.g. senders,ci)')
    .option('--kind <kind>', 'endpoint or admin', 'endpoint')
    .option('--out <file>', 'write the enrollment token to this file (mode 0600) instead of stdout')
    .action(
      async (name: string, opts: AdminOptions & { attr?: string; kind: string; out?: string }) => {
        const client = await adminClient(opts)
        const r = await client.call<{
          identity: Identity
          enrollment: { token: string; expiresAt: string }
        }>('POST', '/v1/identities', {
          name,
          attributes: list(opts.attr),
          kind: opts.kind,
        })
        if (opts.out) await writeSecretFile(opts.out, `${r.enrollment.token}\n`)
        const result = opts.out
          ? {
              identity: r.identity,
              enrollment: { file: opts.out, expiresAt: r.enrollment.expiresAt },
            }
          : r
        emit(opts.json, result, () => {
          printRecord({ ...r.identity, tokenExpires: r.enrollment.expiresAt })
          if (opts.out) process.stdout.write(`enrollment token written to ${opts.out}\n`)
          else
            process.stdout.write(
              `enrollment token (use once with \`zerohook enroll\`):\n${r.enrollment.token}\n`,
            )
        })
      },
    )

  withAdminOptions(group.command('list'))
    .description('List identities')
    .action(async (opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ identities: Identity[] }>('GET', '/v1/identities')
      emit(opts.json, r, () => printTable(r.identities, columns))
    })

  withAdminOptions(group.command('show <name>'))
    .description('Show one identity')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ identity: Identity }>('GET', `/v1/identities/${encodeURIComponent(name)}`)
      show(opts, r.identity)
    })

  withAdminOptions(group.command('update <name>'))
    .description("Replace an identity's attributes (and/or rename it)")
    .option('--attr <attrs>', 'new role attributes, comma-separated (empty string clears them)')
    .option('--name <name>', 'new name')
    .action(async (name: string, opts: AdminOptions & { attr?: string; name?: string }) => {
      const body = {
        ...(opts.attr !== undefined ? { attributes: list(opts.attr) } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      }
      await patch(name, body, opts)
    })

  withAdminOptions(group.command('disable <name>'))
    .description('Disable an identity: its certificates are revoked and its circuits closed')
    .action((name: string, opts: AdminOptions) => patch(name, { disabled: true }, opts))

  withAdminOptions(group.command('enable <name>'))
    .description(
      'Enable an identity again (it needs a new enrollment token: its certificates stay revoked)',
    )
    .action((name: string, opts: AdminOptions) => patch(name, { disabled: false }, opts))

  withAdminOptions(group.command('delete <name>'))
    .description('Delete an identity and revoke its certificates')
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<{ identity: Identity }>('DELETE', `/v1/identities/${encodeURIComponent(name)}`)
      emit(opts.json, r, () =>
        process.stdout.write(`deleted identity ${r.identity.name} (${r.identity.id})\n`),
      )
    })

  withAdminOptions(group.command('token <name>'))
    .description('Issue a new one-time enrollment token for an identity')
    .option('--out <file>', 'write the token to this file (mode 0600) instead of stdout')
    .action(async (name: string, opts: AdminOptions & { out?: string }) => {
      const client = await adminClient(opts)
      const r = await client.call<{ enrollment: { token: string; expiresAt: string } }>(
        'POST',
        `/v1/identities/${encodeURIComponent(name)}/enrollment`,
      )
      if (opts.out) await writeSecretFile(opts.out, `${r.enrollment.token}\n`)
      emit(
        opts.json,
        opts.out ? { enrollment: { file: opts.out, expiresAt: r.enrollment.expiresAt } } : r,
        () =>
          process.stdout.write(
            opts.out ? `enrollment token written to ${opts.out}\n` : `${r.enrollment.token}\n`,
          ),
      )
    })
}
