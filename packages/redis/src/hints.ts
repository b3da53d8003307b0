/**
 * @module
 * Compare-and-set hints: what this process last read or wrote for a session, so `update` right
 * after `load` (a request's get then set or touch) can go straight to the compare-and-set in one
 * round trip. Never used to answer `load`: other processes write too, and a stale hint only costs
 * the round trip in which the server sends back the current record.
 *
 * Two generations instead of an exact LRU list: entries go into the young map; when it holds half
 * the budget it becomes the old map (the previous old map is dropped whole), and a hit in the old
 * map moves the entry back to the young one. O(1) per call, no per-entry links to maintain, and
 * no iteration over a Map's deleted slots (which makes "evict the first key" slow in V8).
 */
import { exactText } from '@levelsession/core'
import type { Snapshot } from './record.js'

/** Fixed cost counted per entry on top of the value and id. */
const OVERHEAD = 96

/** Bytes an entry counts for; entries hold only sessions (never ABSENT). */
function bytesOf(id: string, snapshot: Snapshot): number {
  const session = snapshot.session!
  // A session kept as text: its string's length, without making its bytes.
  const size = exactText(session)?.length ?? session.value.byteLength
  return OVERHEAD + id.length * 2 + size
}

/** A cached hint and the bytes it counts for: replaced in place, so a write costs no Map.set. */
interface Entry {
  snapshot: Snapshot
  bytes: number
}

export class HintCache {
  /** Bytes one generation may hold: the cache holds between half the budget and all of it. */
  readonly #half: number
  #young = new Map<string, Entry>()
  #old = new Map<string, Entry>()
  #youngBytes = 0

  constructor(maxBytes: number) {
    this.#half = Math.floor(maxBytes / 2)
  }

  get(id: string): Snapshot | undefined {
    const young = this.#young.get(id)
    if (young !== undefined) return young.snapshot
    const old = this.#old.get(id)
    if (old === undefined) return undefined
    this.#old.delete(id)
    this.#adopt(id, old)
    return old.snapshot
  }

  /** `snapshot` is what Redis holds for `id` now (just read or written): the hint, confirmed now. */
  set(id: string, snapshot: Snapshot): void {
    const bytes = snapshot.session === undefined ? Infinity : bytesOf(id, snapshot)
    if (bytes > this.#half) {
      this.delete(id)
      return
    }
    this.confirm(snapshot)
    // The common case, a hint replaced by the write it made possible: one lookup.
    const young = this.#young.get(id)
    if (young !== undefined) {
      this.#youngBytes += bytes - young.bytes
      young.snapshot = snapshot
      young.bytes = bytes
      this.#rotateIfFull()
      return
    }
    this.#old.delete(id)
    this.#adopt(id, { snapshot, bytes })
  }

  /** A hint was just found still current in Redis (its token matched a reply). */
  confirm(snapshot: Snapshot): void {
    snapshot.confirmedAt = performance.now()
  }

  /** Whether `snapshot` is still the hint for `id` and was confirmed within the last `ms`. */
  isRecent(id: string, snapshot: Snapshot, ms: number): boolean {
    const at = snapshot.confirmedAt
    return at !== undefined && performance.now() - at <= ms && this.get(id) === snapshot
  }

  delete(id: string): void {
    const young = this.#young.get(id)
    if (young !== undefined) {
      this.#young.delete(id)
      this.#youngBytes -= young.bytes
    }
    this.#old.delete(id)
  }

  clear(): void {
    this.#young = new Map()
    this.#old = new Map()
    this.#youngBytes = 0
  }

  /** Puts an entry not in the young generation into it. */
  #adopt(id: string, entry: Entry): void {
    this.#young.set(id, entry)
    this.#youngBytes += entry.bytes
    this.#rotateIfFull()
  }

  #rotateIfFull(): void {
    if (this.#youngBytes > this.#half) {
      this.#old = this.#young
      this.#young = new Map()
      this.#youngBytes = 0
    }
  }
}
