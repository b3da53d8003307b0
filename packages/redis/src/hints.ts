/**
 * @module
 * Compare-and-set hints: what this process last read or wrote for a session, so `update` right
 * after `load` (a request's get then set or touch) can go straight to the compare-and-set in one
 * round trip. Never used to answer `load`: other processes write too, and a stale hint only costs
 * the round trip in which the server sends back the current record.
 *
 * Kept in core's CLOCK cache, bounded by bytes: a hit is one Map lookup and a flag, and an entry
 * never moves between maps (two LRU generations did, at one Map delete and one set per move).
 */
import { ClockCache, storedSessionBytes } from '@levelsession/core'
import type { Snapshot } from './record.js'
import { monotonic } from './timers.js'

/** Bytes an entry counts for, as core's cache counts a session, and its token; never ABSENT. */
function bytesOf(snapshot: Snapshot): number {
  return storedSessionBytes(snapshot.session!) + 2 * snapshot.token.length
}

export class HintCache {
  readonly #cache: ClockCache<Snapshot>

  constructor(maxBytes: number) {
    // Bounded by bytes alone.
    this.#cache = new ClockCache(Infinity, maxBytes, bytesOf)
  }

  get(id: string): Snapshot | undefined {
    return this.#cache.get(id)
  }

  /** `snapshot` is what Redis holds for `id` now (just read or written): the hint, confirmed now. */
  set(id: string, snapshot: Snapshot): void {
    if (snapshot.session === undefined) {
      this.delete(id)
      return
    }
    this.confirm(snapshot)
    // Larger than the whole budget: the cache drops any older hint for `id` and keeps none.
    this.#cache.set(id, snapshot)
  }

  /** A hint was just found still current in Redis (its token matched a reply). */
  confirm(snapshot: Snapshot): void {
    snapshot.confirmedAt = monotonic()
  }

  /** Whether `snapshot` is still the hint for `id` and was confirmed within the last `ms`. */
  isRecent(id: string, snapshot: Snapshot, ms: number): boolean {
    const at = snapshot.confirmedAt
    return at !== undefined && monotonic() - at <= ms && this.get(id) === snapshot
  }

  delete(id: string): void {
    this.#cache.delete(id)
  }

  clear(): void {
    this.#cache.clear()
  }
}
