import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { GrantsResponse } from '../controller/ops/grants.js'
import { ZhError } from '../errors.js'
import { ControllerClient } from '../sdk/controller-client.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { loadIdentity, saveIdentity } from '../sdk/identity-file.js'
import { emit, printTable } from './output.js'

async function readToken(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8')
    if (text.length > 8192) throw new Error('too large')
    return text.trim()
  } catch (err) {
    throw new ZhError('ZH_FILE_INVALID', `${path}: ${(err as Error).message}`)
  }
}

/** `zerohook enroll` and `zerohook grants`. */
export function enrollCommands(program: Command): void {
  program
    .command('enroll <tokenFile>')
    .description(
      'Enroll with a one-time token: make a key pair locally and write the identity file',
    )
    .requiredOption('--out <file>', 'identity file to write (mode 0600)')
    .option('--key-type <type>', 'p256 or ed25519', 'p256')
    .option('--json', 'machine-readable output')
    .action(async (tokenFile: string, opts: { out: string; keyType: string; json?: boolean }) => {
      if (opts.keyType !== 'p256' && opts.keyType !== 'ed25519')
        throw new ZhError('ZH_USAGE', '--key-type must be p256 or ed25519')
      const identity = await enrollWithToken(await readToken(tokenFile), { keyType: opts.keyType })
      await saveIdentity(opts.out, identity)
      const summary = {
        id: identity.id,
        name: identity.name,
        network: identity.network,
        controller: identity.controller,
        controllers: identity.controllers ?? [identity.controller],
        file: opts.out,
      }
      emit(opts.json, summary, () =>
        process.stdout.write(
          `enrolled "${identity.name}" in network "${identity.network}"; identity written to ${opts.out}\n`,
        ),
      )
    })

  program
    .command('grants')
    .description('Show the services an identity may use, fetching its signed grants over mTLS')
    .requiredOption('--identity <file>', 'identity file')
    .option('--json', 'machine-readable output (includes the grant tokens)')
    .action(async (opts: { identity: string; json?: boolean }) => {
      const client = new ControllerClient(await loadIdentity(opts.identity))
      const r = await client.call<GrantsResponse>('GET', '/v1/current-identity/grants')
      emit(opts.json, r, () =>
        printTable(r.grants, [
          ['SERVICE', (g) => g.service.name],
          ['ACTION', (g) => g.action],
          ['EXPIRES', (g) => g.expiresAt],
        ]),
      )
    })
}
