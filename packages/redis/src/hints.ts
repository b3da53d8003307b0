/**
 * @module
 * Compare-and-set hints: what this process last read or wrote for a session, so `update` right
 * after `load` (a request's get then set or touch) can go straight to the compare-and-set in one
 * round trip. Never used to answer `load`: other processes write too, and a stale hint only costs
 * the round trip in which the server sends back the current record.
 */
import type { Snapshot } from './record.js'

/** Fixed cost counted per entry on top of the value and id. */
const OVERHEAD = 96

export class HintCache {
  readonly #maxBytes: number
  readonly #entries = new Map<string, { snapshot: Snapshot; bytes: number }>()
  #bytes = 0

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  get(id: string): Snapshot | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    this.#entries.delete(id)
    this.#entries.set(id, entry)
    return entry.snapshot
  }

  set(id: string, snapshot: Snapshot): void {
    this.delete(id)
    const bytes = OVERHEAD + id.length * 2 + (snapshot.session?.value.byteLength ?? 0)
    if (snapshot.session === undefined || bytes > this.#maxBytes) return
    this.#entries.set(id, { snapshot, bytes })
    this.#bytes += bytes
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#entries.delete(oldest)
      this.#bytes -= entry.bytes
    }
  }

  delete(id: string): void {
    const entry = this.#entries.get(id)
    if (entry === undefined) return
    this.#entries.delete(id)
    this.#bytes -= entry.bytes
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }
}
