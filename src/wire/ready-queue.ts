/**
 * The circuits a writer will serve, in order, each at most once: a FIFO set that allocates
 * nothing per operation (iterating a Set for its first entry makes an iterator each time, and the
 * writer takes one circuit per DATA frame).
 *
 * @example
 * const q = new ReadyQueue<Circuit>()
 * q.add(a); q.add(b); q.add(a)
 * q.shift() // a
 */
export class ReadyQueue<T> {
  private readonly members = new Set<T>()
  /** Order of arrival; may hold entries deleted since, which `shift()` skips. */
  private order: (T | undefined)[] = []
  private head = 0

  get size(): number {
    return this.members.size
  }

  /** Appends `item` unless it is queued already. */
  add(item: T): void {
    if (this.members.has(item)) return
    this.members.add(item)
    this.order.push(item)
  }

  /** Takes `item` out wherever it is. */
  delete(item: T): void {
    this.members.delete(item)
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    while (this.head < this.order.length) {
      const item = this.order[this.head]
      this.order[this.head++] = undefined
      if (item !== undefined && this.members.delete(item)) {
        this.compact()
        return item
      }
    }
    this.order.length = 0
    this.head = 0
    return undefined
  }

  clear(): void {
    this.members.clear()
    this.order = []
    this.head = 0
  }

  /** Drops the consumed front once it is most of the array, so the array stays small. */
  private compact(): void {
    if (this.head === this.order.length) {
      this.order.length = 0
      this.head = 0
    } else if (this.head >= 64 && this.head * 2 >= this.order.length) {
      this.order.copyWithin(0, this.head)
      this.order.length -= this.head
      this.head = 0
    }
  }
}
