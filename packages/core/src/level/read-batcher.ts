/**
 * @module
 * Grouped point reads: reads that arrive while one is in flight wait and go out together as one
 * `getMany`, so a busy store pays one hop to LevelDB's thread for many reads.
 */
import type { AbstractLevel } from 'abstract-level'

interface Waiter<V> {
  resolve: (value: V | undefined) => void
  reject: (error: unknown) => void
}

export interface ReadSource<V> {
  get(key: string): Promise<V | undefined>
  getMany(keys: string[]): Promise<(V | undefined)[]>
}

export class ReadBatcher<V> {
  readonly #source: ReadSource<V>
  #keys: string[] = []
  #waiters: Waiter<V>[] = []
  #busy = false

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(source: ReadSource<V> | AbstractLevel<any, string, V>) {
    this.#source = source as ReadSource<V>
  }

  get(key: string): Promise<V | undefined> {
    if (!this.#busy) {
      // Nothing in flight: read at once, and collect what arrives meanwhile.
      this.#busy = true
      return this.#source.get(key).finally(() => this.#next())
    }
    return new Promise<V | undefined>((resolve, reject) => {
      this.#keys.push(key)
      this.#waiters.push({ resolve, reject })
    })
  }

  #next(): void {
    if (this.#keys.length === 0) {
      this.#busy = false
      return
    }
    const keys = this.#keys
    const waiters = this.#waiters
    this.#keys = []
    this.#waiters = []
    this.#source.getMany(keys).then(
      (values) => {
        waiters.forEach((w, i) => w.resolve(values[i]))
        this.#next()
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error)
        this.#next()
      },
    )
  }
}
