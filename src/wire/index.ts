/**
 * The wire protocol: binary framing and a multiplexed channel of circuits with per-circuit
 * credit-based flow control. Shared by `router/` and `sdk/`; imports nothing of ours but errors.
 */
export { createChannel, Channel, type ChannelEvents, type ChannelStats } from './channel.js'
export type { OpenedCircuit } from './circuit-table.js'
export type { ChannelOptions } from './options.js'
export { Circuit } from './circuit.js'
export type { ChannelRole } from './circuit-ids.js'
export { encodeFrame, FrameDecoder, type OutgoingFrame } from './codec.js'
export { DEFAULT_WINDOW } from './flow.js'
export { FrameType, HEADER_LENGTH, MAX_META, MAX_PAYLOAD, type Frame } from './frame.js'
export { createMemoryPair, type MemoryPair, type MemoryPairOptions } from './memory-pair.js'
export type { PendingCircuit } from './pending.js'
