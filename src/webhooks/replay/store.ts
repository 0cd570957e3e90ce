/**
 * Remembers accepted webhook ids so that a repeat is refused. Keys are already namespaced by
 * scheme (`standard:msg_...`); times are Unix seconds, given by the verifier so that one clock
 * (frozen in tests) rules both the timestamp check and the expiry.
 */
export interface ReplayStore {
  /**
   * Atomically records `key` until `expiresAt`. Resolves true when the key was new (or its
   * earlier record had expired), false when it is a repeat.
   */
  checkAndRemember(key: string, expiresAt: number, now?: number): Promise<boolean>
  /** Drops a key, so that a message whose processing failed can be accepted again. */
  forget(key: string): Promise<void>
  /** Releases resources (closes a database the store opened). */
  close(): Promise<void>
}

/** Unix seconds now. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
