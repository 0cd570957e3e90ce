import type { Command } from 'commander'
import { generateWebhookKeyPair, generateWebhookSecret } from '../webhooks/secrets.js'
import { emit } from './output.js'

/**
 * `zerohook secret new [--asymmetric] [--json]`: prints a new Standard Webhooks secret
 * (`whsec_...`), or with `--asymmetric` an Ed25519 pair (`whsk_...` to sign, `whpk_...` to verify).
 *
 * @example
 * ```ts
 * const program = new Command('zerohook')
 * secretCommands(program)
 * await program.parseAsync(['node', 'zerohook', 'secret', 'new', '--json'])
 * ```
 */
export function secretCommands(program: Command): void {
  const group = program.command('secret').description('Webhook signing secrets and keys')
  group
    .command('new')
    .description('Print a new whsec_ secret, or a whsk_/whpk_ key pair with --asymmetric')
    .option(
      '--asymmetric',
      'an Ed25519 key pair (Standard Webhooks v1a) instead of a shared secret',
    )
    .option('--json', 'print JSON')
    .action((opts: { asymmetric?: boolean; json?: boolean }) => {
      if (opts.asymmetric) {
        const pair = generateWebhookKeyPair()
        emit(opts.json, pair, () => {
          process.stdout.write(`private key (sender, keep secret): ${pair.privateKey}\n`)
          process.stdout.write(`public key (receivers):            ${pair.publicKey}\n`)
        })
        return
      }
      const secret = generateWebhookSecret()
      emit(opts.json, { secret }, () => process.stdout.write(`${secret}\n`))
    })
}
