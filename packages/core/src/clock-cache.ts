/**
 * @module
 * A bounded map that evicts by CLOCK (second chance): each entry has a "used" bit that a hit
 * sets; eviction sweeps a hand over the slots, clearing set bits and evicting the first entry
 * whose bit is clear. A hit is a lookup and a store, with no list to relink: under a uniform load
 * over thousands of sessions, the LRU list's relinking touched three more objects per hit, each
 * likely a cache miss. Entries live in flat arrays, not one node object each. New entries start
 * unused, so a session read once leaves before one read again.
 */
export class ClockCache<V> {
  readonly #capacity: number
  readonly #slots = new Map<string, number>()
  readonly #keys: (string | undefined)[] = []
  readonly #values: (V | undefined)[] = []
  readonly #used: number[] = []
  /** Slots emptied by `delete`, filled again first. */
  #free: number[] = []
  #hand = 0

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#slots.size
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    this.#used[slot] = 1
    return this.#values[slot]
  }

  set(key: string, value: V): void {
    if (this.#capacity === 0) return
    const known = this.#slots.get(key)
    if (known !== undefined) {
      this.#values[known] = value
      this.#used[known] = 1
      return
    }
    const slot =
      this.#free.pop() ?? (this.#keys.length < this.#capacity ? this.#keys.length : this.#evict())
    this.#keys[slot] = key
    this.#values[slot] = value
    this.#used[slot] = 0
    this.#slots.set(key, slot)
  }

  delete(key: string): void {
    const slot = this.#slots.get(key)
    if (slot === undefined) return
    this.#slots.delete(key)
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    this.#used[slot] = 0
    this.#free.push(slot)
  }

  clear(): void {
    this.#slots.clear()
    this.#keys.length = 0
    this.#values.length = 0
    this.#used.length = 0
    this.#free = []
    this.#hand = 0
  }

  /** Frees the slot of the first entry from the hand on that has not been used since last passed. */
  #evict(): number {
    // Every slot is full here (no free ones): the sweep ends within two turns.
    for (;;) {
      const slot = this.#hand
      this.#hand = slot + 1 === this.#capacity ? 0 : slot + 1
      if (this.#used[slot] === 1) {
        this.#used[slot] = 0
        continue
      }
      this.#slots.delete(this.#keys[slot]!)
      return slot
    }
  }
}
