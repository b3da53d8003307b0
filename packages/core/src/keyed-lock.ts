/**
 * @module
 * Per-key mutual exclusion inside one process. LevelDB has no transactions, so every
 * read-modify-write of one session runs under its id's lock.
 */

export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>()

  /** Runs `task` once every earlier task on `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    let release!: () => void
    const tail = new Promise<void>((resolve) => (release = resolve))
    this.#tails.set(key, tail)
    try {
      if (previous !== undefined) await previous
      return await task()
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
      release()
    }
  }

  isLocked(key: string): boolean {
    return this.#tails.has(key)
  }

  /**
   * Takes every free key in `keys` at once, without waiting, and returns the keys taken and a
   * function that releases them. Busy keys are left out: the cleaner skips sessions in use.
   */
  tryLockMany(keys: Iterable<string>): { taken: string[]; release: () => void } {
    const taken: string[] = []
    let release!: () => void
    const tail = new Promise<void>((resolve) => (release = resolve))
    for (const key of keys) {
      if (this.#tails.has(key)) continue
      this.#tails.set(key, tail)
      taken.push(key)
    }
    return {
      taken,
      release: () => {
        for (const key of taken) if (this.#tails.get(key) === tail) this.#tails.delete(key)
        release()
      },
    }
  }
}
