import type { Command } from 'commander'
import type { AttributedEntity } from '../controller/model/entities.js'
import { writeSecretFile } from '../pki/files.js'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, list, printRecord, printTable, type Column } from './output.js'

interface EntityKind {
  /** CLI group and JSON key: 'service' or 'router'. */
  key: 'service' | 'router'
  path: string
  /** Routers get a one-time enrollment token at creation, and a new one with `token`. */
  enrolls: boolean
  canUpdate: boolean
}

const columns: Column<AttributedEntity>[] = [
  ['NAME', (e) => e.name],
  ['ID', (e) => e.id],
  ['ATTRIBUTES', (e) => e.attributes.map((a) => `#${a}`).join(',')],
]

/**
 * `zerohook service ...` and `zerohook router ...` (create, list, show, update, delete; and
 * token, for a router to enroll again).
 */
export function entityCommands(program: Command, kind: EntityKind, description: string): Command {
  const group = program.command(kind.key).description(description)
  const plural = `${kind.key}s`
  const one = (name: string) => `${kind.path}/${encodeURIComponent(name)}`

  const create = withAdminOptions(group.command('create <name>'))
    .description(`Create a ${kind.key}`)
    .option('--attr <attrs>', 'role attributes, comma-separated')
  if (kind.enrolls)
    create.option(
      '--out <file>',
      'write the enrollment token to this file (mode 0600) instead of stdout',
    )
  create.action(async (name: string, opts: AdminOptions & { attr?: string; out?: string }) => {
    const client = await adminClient(opts)
    const r = await client.call<
      Record<string, unknown> & { enrollment?: { token: string; expiresAt: string } }
    >('POST', kind.path, {
      name,
      attributes: list(opts.attr),
    })
    const entity = r[kind.key] as AttributedEntity
    if (r.enrollment && opts.out) await writeSecretFile(opts.out, `${r.enrollment.token}\n`)
    const shown =
      r.enrollment && opts.out
        ? { [kind.key]: entity, enrollment: { file: opts.out, expiresAt: r.enrollment.expiresAt } }
        : r
    emit(opts.json, shown, () => {
      printRecord({ ...entity })
      if (r.enrollment && opts.out)
        process.stdout.write(`enrollment token written to ${opts.out}\n`)
      else if (r.enrollment)
        process.stdout.write(`enrollment token (use once):\n${r.enrollment.token}\n`)
    })
  })

  if (kind.enrolls) {
    withAdminOptions(group.command('token <name>'))
      .description(
        `Issue a new one-time enrollment token for a ${kind.key} (to enroll it again, e.g. after its certificate expired)`,
      )
      .option('--out <file>', 'write the token to this file (mode 0600) instead of stdout')
      .action(async (name: string, opts: AdminOptions & { out?: string }) => {
        const r = await (
          await adminClient(opts)
        ).call<{ enrollment: { token: string; expiresAt: string } }>(
          'POST',
          `${one(name)}/enrollment`,
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

  withAdminOptions(group.command('list'))
    .description(`List ${plural}`)
    .action(async (opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<Record<string, AttributedEntity[]>>('GET', kind.path)
      emit(opts.json, r, () => printTable(r[plural] ?? [], columns))
    })

  withAdminOptions(group.command('show <name>'))
    .description(`Show one ${kind.key}`)
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<Record<string, AttributedEntity>>('GET', one(name))
      emit(opts.json, r, () => printRecord({ ...r[kind.key] }))
    })

  if (kind.canUpdate) {
    withAdminOptions(group.command('update <name>'))
      .description(`Replace a ${kind.key}'s attributes (and/or rename it)`)
      .option('--attr <attrs>', 'new role attributes, comma-separated (empty string clears them)')
      .option('--name <name>', 'new name')
      .action(async (name: string, opts: AdminOptions & { attr?: string; name?: string }) => {
        const body = {
          ...(opts.attr !== undefined ? { attributes: list(opts.attr) } : {}),
          ...(opts.name ? { name: opts.name } : {}),
        }
        const r = await (
          await adminClient(opts)
        ).call<Record<string, AttributedEntity>>('PATCH', one(name), body)
        emit(opts.json, r, () => printRecord({ ...r[kind.key] }))
      })
  }

  withAdminOptions(group.command('delete <name>'))
    .description(`Delete a ${kind.key}`)
    .action(async (name: string, opts: AdminOptions) => {
      const r = await (
        await adminClient(opts)
      ).call<Record<string, AttributedEntity>>('DELETE', one(name))
      emit(opts.json, r, () => process.stdout.write(`deleted ${kind.key} ${r[kind.key]!.name}\n`))
    })
  return group
}
