import { ZhError } from '../errors.js'

/** Which end of a channel we are: the initiator opens odd circuit ids, the acceptor even ones. */
export type ChannelRole = 'initiator' | 'acceptor'

const MAX_ID = 0xffffffff

/**
 * Circuit id bookkeeping for one channel. Both ends may open circuits without coordinating: the
 * initiator's ids are odd, the acceptor's even (as in HTTP/2), and each side's ids strictly
 * increase. So "was this id ever used?" is a comparison, with no list of closed ids to keep.
 */
export class CircuitIds {
  private next: number
  private peerMax = 0
  private readonly oursOdd: boolean

  constructor(role: ChannelRole) {
    this.oursOdd = role === 'initiator'
    this.next = this.oursOdd ? 1 : 2
  }

  /** A fresh id for a circuit we open, or undefined once the u32 space is used up. */
  allocate(): number | undefined {
    if (this.next > MAX_ID) return undefined
    const id = this.next
    this.next += 2
    return id
  }

  /** Checks the id of a peer's OPEN: the peer's parity and above every id it used before. */
  acceptPeer(id: number): void {
    if (this.isOurs(id)) throw new ZhError('ZH_WIRE_PROTOCOL', `OPEN with our id parity (${id})`)
    if (id <= this.peerMax) throw new ZhError('ZH_WIRE_PROTOCOL', `OPEN reuses circuit id ${id}`)
    this.peerMax = id
  }

  /** True when either side has used `id`; a late frame for it after a close is a race, not an attack. */
  wasUsed(id: number): boolean {
    return this.isOurs(id) ? id < this.next : id <= this.peerMax
  }

  private isOurs(id: number): boolean {
    return (id % 2 === 1) === this.oursOdd
  }
}
