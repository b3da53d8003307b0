/**
 * @module
 * A bounded map that forgets the least recently used entry first. A doubly linked list keeps the
 * order: every operation is O(1). (Re-inserting into a Map to mark use leaves holes at the front
 * of V8's table that each eviction then walks over.) A hit on an entry among the most recent
 * quarter leaves it in place: hot entries then cost a lookup, not a relink, and the order stays
 * exact everywhere eviction looks.
 */

interface Node<V> {
  key: string
  value: V
  newer: Node<V> | undefined
  older: Node<V> | undefined
  /** The value of the push counter when this entry last moved to the front. */
  stamp: number
}

export class LruCache<V> {
  readonly #map = new Map<string, Node<V>>()
  readonly #capacity: number
  #newest: Node<V> | undefined
  #oldest: Node<V> | undefined
  /** Counts moves to the front. */
  #pushes = 0
  /** Entries moved to the front fewer than this many pushes ago stay where they are on a hit. */
  readonly #fresh: number

  constructor(capacity: number) {
    this.#capacity = capacity
    this.#fresh = capacity >> 2
  }

  get size(): number {
    return this.#map.size
  }

  get(key: string): V | undefined {
    const node = this.#map.get(key)
    if (node === undefined) return undefined
    if (node !== this.#newest && this.#pushes - node.stamp > this.#fresh) {
      this.#unlink(node)
      this.#push(node)
    }
    return node.value
  }

  set(key: string, value: V): void {
    if (this.#capacity === 0) return
    const node = this.#map.get(key)
    if (node !== undefined) {
      node.value = value
      if (node !== this.#newest) {
        this.#unlink(node)
        this.#push(node)
      }
      return
    }
    const added: Node<V> = { key, value, newer: undefined, older: undefined, stamp: 0 }
    this.#map.set(key, added)
    this.#push(added)
    if (this.#map.size > this.#capacity) {
      const oldest = this.#oldest!
      this.#unlink(oldest)
      this.#map.delete(oldest.key)
    }
  }

  delete(key: string): void {
    const node = this.#map.get(key)
    if (node === undefined) return
    this.#unlink(node)
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
    this.#newest = this.#oldest = undefined
  }

  #push(node: Node<V>): void {
    node.stamp = ++this.#pushes
    node.older = this.#newest
    node.newer = undefined
    if (this.#newest !== undefined) this.#newest.newer = node
    this.#newest = node
    this.#oldest ??= node
  }

  #unlink(node: Node<V>): void {
    if (node.newer !== undefined) node.newer.older = node.older
    else this.#newest = node.older
    if (node.older !== undefined) node.older.newer = node.newer
    else this.#oldest = node.newer
    node.newer = node.older = undefined
  }
}
