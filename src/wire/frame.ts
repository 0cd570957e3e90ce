/**
 * The frame vocabulary of the wire protocol: types, the header layout and the per-type limits.
 *
 * Header (12 bytes, big-endian): type u8 · flags u8 · reserved u16 (0) · circuit id u32 · payload
 * length u32. No flags are defined yet, so any set flag bit is a protocol error, like the reserved
 * field: a peer speaking a newer dialect is refused instead of half understood.
 */

/** Bytes in a frame header. */
export const HEADER_LENGTH = 12

/** Largest payload of any frame: 64 KiB. DATA is split to fit. */
export const MAX_PAYLOAD = 65536

/** Largest OPEN or ACCEPT metadata: 16 KiB. */
export const MAX_META = 16384

/** Longest code in a RESET or GOAWAY (bytes, ASCII `A-Z0-9_`). */
export const MAX_REASON_CODE = 64

/** Longest message in a RESET or GOAWAY (bytes of UTF-8); longer local messages are truncated. */
export const MAX_REASON_MESSAGE = 512

/** Frame types. Values are on the wire: never renumber. */
export const FrameType = {
  /** Open a circuit; payload: caller metadata (≤ 16 KiB). */
  OPEN: 1,
  /** Accept a circuit; payload: acceptor metadata (≤ 16 KiB). */
  ACCEPT: 2,
  /** Circuit bytes (1 to 64 KiB); never more than the receiver's granted credit. */
  DATA: 3,
  /** Grant the peer more window on a circuit; payload: u32 bytes (> 0). */
  CREDIT: 4,
  /** Half-close: the sender will send no more DATA on this circuit. */
  FIN: 5,
  /** Abort a circuit both ways; payload: a reason (u16 code length, code, UTF-8 message). */
  RESET: 6,
  /** Keepalive probe on circuit 0; payload: 8 opaque bytes. */
  PING: 7,
  /** Keepalive answer on circuit 0; payload: the PING's 8 bytes. */
  PONG: 8,
  /** A channel-level message on circuit 0 for the protocol above; opaque payload. */
  MESSAGE: 9,
  /** The sender is closing the channel; payload: a reason (an empty code means a normal close). */
  GOAWAY: 10,
} as const

/** A frame type value. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

/** One decoded (or to-be-encoded) frame. */
export interface Frame {
  type: FrameType
  /** Always 0 today. */
  flags: number
  /** 0 for channel frames (PING, PONG, MESSAGE, GOAWAY), non-zero for circuit frames. */
  circuit: number
  payload: Buffer
}

/** Bytes of a RESET/GOAWAY reason: u16 code length + code + message. */
const MAX_REASON = 2 + MAX_REASON_CODE + MAX_REASON_MESSAGE

/** What a well-formed frame of each type looks like: circuit id zero or not, payload bounds. */
export interface FrameRule {
  name: keyof typeof FrameType
  channel: boolean
  min: number
  max: number
}

const rules = new Map<number, FrameRule>([
  [FrameType.OPEN, { name: 'OPEN', channel: false, min: 0, max: MAX_META }],
  [FrameType.ACCEPT, { name: 'ACCEPT', channel: false, min: 0, max: MAX_META }],
  [FrameType.DATA, { name: 'DATA', channel: false, min: 1, max: MAX_PAYLOAD }],
  [FrameType.CREDIT, { name: 'CREDIT', channel: false, min: 4, max: 4 }],
  [FrameType.FIN, { name: 'FIN', channel: false, min: 0, max: 0 }],
  [FrameType.RESET, { name: 'RESET', channel: false, min: 3, max: MAX_REASON }],
  [FrameType.PING, { name: 'PING', channel: true, min: 8, max: 8 }],
  [FrameType.PONG, { name: 'PONG', channel: true, min: 8, max: 8 }],
  [FrameType.MESSAGE, { name: 'MESSAGE', channel: true, min: 0, max: MAX_PAYLOAD }],
  [FrameType.GOAWAY, { name: 'GOAWAY', channel: true, min: 2, max: MAX_REASON }],
])

/** The rule of a frame type, or undefined for a type this version does not know. */
export function frameRule(type: number): FrameRule | undefined {
  return rules.get(type)
}
