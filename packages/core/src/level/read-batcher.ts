/**
 * @module
 * Grouped point reads: while `lanes` reads are in flight, further reads wait and go out together
 * as one `getMany`, so a busy store pays one hop to LevelDB's threads for many reads while still
 * reading on more than one thread at once.
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
  readonly #lanes: number
  #keys: string[] = []
  #waiters: Waiter<V>[] = []
  #inFlight = 0

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    source: ReadSource<V> | AbstractLevel<any, string, V>,
    lanes = 1,
  ) {
    this.#source = source as ReadSource<V>
    this.#lanes = lanes
  }

  get(key: string): Promise<V | undefined> {
    if (this.#inFlight < this.#lanes) {
      // A lane is free: read at once, and collect what arrives meanwhile.
      this.#inFlight++
      return this.#source.get(key).finally(() => this.#next())
    }
    return new Promise<V | undefined>((resolve, reject) => {
      this.#keys.push(key)
      this.#waiters.push({ resolve, reject })
    })
  }

  /** A lane came free: send everything that waited as one read, or free the lane. */
  #next(): void {
    if (this.#keys.length === 0) {
      this.#inFlight--
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
