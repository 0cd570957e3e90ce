import { ZhError } from '../errors.js'
import type { Circuit } from './circuit.js'
import { MAX_META } from './frame.js'
import { isReasonCode } from './payloads.js'

/** A circuit the peer is opening: accept it (once) or reject it with a code the peer sees. */
export interface PendingCircuit {
  /** The circuit id the peer chose. */
  readonly id: number
  /** The peer's OPEN metadata. */
  readonly meta: Uint8Array
  /** True once the peer gave up (RESET) or the channel closed; `accept()` would then throw. */
  readonly abandoned: boolean
  /** True once `accept()` or `reject()` was called. */
  readonly decided: boolean
  /** Sends ACCEPT with `meta` (≤ 16 KiB) and returns the circuit. */
  accept(meta?: Uint8Array): Circuit
  /** Refuses with `code` (`A-Z0-9_`, e.g. `ZH_GRANT_EXPIRED`); the peer's `open()` rejects with it. */
  reject(code: string, message?: string): void
}

const EMPTY = new Uint8Array(0)

/**
 * Wraps an offered circuit for the application. `sendAccept` writes ACCEPT and throws when the
 * circuit can no longer be accepted.
 */
export function offerCircuit(
  circuit: Circuit,
  meta: Uint8Array,
  sendAccept: (meta: Uint8Array) => void,
): PendingCircuit {
  let decided = false
  const decide = (): void => {
    if (decided)
      throw new ZhError(
        'ZH_WIRE_ARGUMENT_INVALID',
        `circuit ${circuit.id} was already accepted or rejected`,
      )
    decided = true
  }
  return {
    id: circuit.id,
    meta,
    get abandoned() {
      return circuit.destroyed
    },
    get decided() {
      return decided
    },
    accept(acceptMeta = EMPTY) {
      if (acceptMeta.byteLength > MAX_META) {
        throw new ZhError(
          'ZH_WIRE_ARGUMENT_INVALID',
          `ACCEPT metadata of ${acceptMeta.byteLength} bytes`,
        )
      }
      decide()
      sendAccept(acceptMeta)
      return circuit
    },
    reject(code, message = '') {
      if (!isReasonCode(code)) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', `reject code ${code}`)
      decide()
      circuit.reset(code, message)
    },
  }
}
