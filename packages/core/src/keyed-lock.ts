/**
 * @module
 * Per-key mutual exclusion inside one process. LevelDB has no transactions, so every
 * read-modify-write of one session runs under its id's lock. Exported for backends: the Redis
 * backend queues one process's updates of an id with it, so they do not race each other's
 * compare-and-set.
 */
import { runFinally } from './finally.js'

/** A held key's waiters, in arrival order; an empty queue means held with nobody waiting. */
type Queue = (() => void)[]

export class KeyedLock {
  readonly #held = new Map<string, Queue>()

  /**
   * Runs `task` once every earlier task on `key` has settled, then `settled` (the caller's own
   * finally, without a promise of its own). An uncontended key costs no extra promise: this is
   * on every write's path.
   */
  run<T>(key: string, task: () => Promise<T>, settled?: () => void): Promise<T> {
    const queue = this.#held.get(key)
    if (queue === undefined) {
      this.#held.set(key, [])
      return this.#execute(key, task, settled)
    }
    return new Promise<T>((resolve, reject) => {
      queue.push(() => {
        this.#execute(key, task, settled).then(resolve, reject)
      })
    })
  }

  isLocked(key: string): boolean {
    return this.#held.has(key)
  }

  /** Whether tasks wait behind the one running on `key`. */
  hasWaiters(key: string): boolean {
    return (this.#held.get(key)?.length ?? 0) > 0
  }

  /**
   * Takes every free key in `keys` at once, without waiting, and returns the keys taken and a
   * function that releases them. Busy keys are left out: the cleaner skips sessions in use.
   */
  tryLockMany(keys: Iterable<string>): { taken: string[]; release: () => void } {
    const taken: string[] = []
    for (const key of keys) {
      if (this.#held.has(key)) continue
      this.#held.set(key, [])
      taken.push(key)
    }
    let released = false
    return {
      taken,
      release: () => {
        if (released) return
        released = true
        for (const key of taken) this.#release(key)
      },
    }
  }

  /** `settled` runs when the task has settled, right after the key is handed on. */
  #execute<T>(key: string, task: () => Promise<T>, settled?: () => void): Promise<T> {
    return runFinally(task, () => {
      this.#release(key)
      settled?.()
    })
  }

  /** Hands the key to its next waiter, or frees it. */
  #release(key: string): void {
    const next = this.#held.get(key)?.shift()
    if (next === undefined) this.#held.delete(key)
    else next()
  }
}
