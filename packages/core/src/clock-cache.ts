/**
 * @module
 * A bounded map that evicts by CLOCK (second chance): each entry has a "used" bit that a hit
 * sets; eviction sweeps a hand over the slots, clearing set bits and evicting the first entry
 * whose bit is clear. A hit is a lookup and a store, with no list to relink: under a uniform load
 * over thousands of sessions, the LRU list's relinking touched three more objects per hit, each
 * likely a cache miss. Entries live in flat arrays, not one node object each. New entries start
 * unused, so a session read once leaves before one read again.
 *
 * Bounded twice: by entries, and by the bytes `sizeOf` counts, so a few large values cannot hold
 * the memory that the entry count allows for small ones. A value larger than the byte bound is
 * not kept at all.
 */
export class ClockCache<V> {
  readonly #capacity: number
  readonly #maxBytes: number
  readonly #sizeOf: (value: V) => number
  readonly #slots = new Map<string, number>()
  readonly #keys: (string | undefined)[] = []
  readonly #values: (V | undefined)[] = []
  readonly #used: number[] = []
  readonly #sizes: number[] = []
  #bytes = 0
  /** Slots emptied by `delete` (or by the byte bound), filled again first. */
  #free: number[] = []
  #hand = 0

  constructor(capacity: number, maxBytes = Infinity, sizeOf: (value: V) => number = () => 0) {
    this.#capacity = capacity
    this.#maxBytes = maxBytes
    this.#sizeOf = sizeOf
  }

  get size(): number {
    return this.#slots.size
  }

  /** Bytes the entries count for, as `sizeOf` measures them. */
  get bytes(): number {
    return this.#bytes
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    this.#used[slot] = 1
    return this.#values[slot]
  }

  set(key: string, value: V): void {
    if (this.#capacity === 0) return
    const size = this.#sizeOf(value)
    if (size > this.#maxBytes) {
      this.delete(key)
      return
    }
    const known = this.#slots.get(key)
    if (known !== undefined) {
      this.#values[known] = value
      this.#used[known] = 1
      this.#bytes += size - this.#sizes[known]!
      this.#sizes[known] = size
      if (this.#bytes > this.#maxBytes) this.#shrink(known)
      return
    }
    const slot =
      this.#free.pop() ??
      (this.#keys.length < this.#capacity ? this.#keys.length : this.#evict(undefined))
    this.#keys[slot] = key
    this.#values[slot] = value
    this.#used[slot] = 0
    this.#sizes[slot] = size
    this.#bytes += size
    this.#slots.set(key, slot)
    if (this.#bytes > this.#maxBytes) this.#shrink(slot)
  }

  delete(key: string): void {
    const slot = this.#slots.get(key)
    if (slot === undefined) return
    this.#slots.delete(key)
    this.#empty(slot)
    this.#free.push(slot)
  }

  clear(): void {
    this.#slots.clear()
    this.#keys.length = 0
    this.#values.length = 0
    this.#used.length = 0
    this.#sizes.length = 0
    this.#bytes = 0
    this.#free = []
    this.#hand = 0
  }

  /**
   * Frees and returns the slot of the first entry from the hand on that has not been used since
   * last passed, skipping empty slots and `keep`. Some other entry exists whenever this is
   * called, so the sweep ends within two turns.
   */
  #evict(keep: number | undefined): number {
    const slots = this.#keys.length
    for (;;) {
      const slot = this.#hand < slots ? this.#hand : 0
      this.#hand = slot + 1 === slots ? 0 : slot + 1
      const key = this.#keys[slot]
      if (slot === keep || key === undefined) continue
      if (this.#used[slot] === 1) {
        this.#used[slot] = 0
        continue
      }
      this.#slots.delete(key)
      this.#empty(slot)
      return slot
    }
  }

  /** Evicts until the bytes fit; `keep` (the entry just written) fits alone, so this ends. */
  #shrink(keep: number): void {
    while (this.#bytes > this.#maxBytes) this.#free.push(this.#evict(keep))
  }

  #empty(slot: number): void {
    this.#bytes -= this.#sizes[slot]!
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    this.#used[slot] = 0
    this.#sizes[slot] = 0
  }
}
