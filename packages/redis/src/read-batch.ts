/**
 * @module
 * Loads issued in the same turn of the event loop go out as one MGET (auto-pipelining, as
 * DataLoader batches). A GET costs Redis about as much as an MGET of several keys, and node-redis
 * about as much per command; 64 requests in flight then cost a few commands instead of 64. A load
 * issued alone is still a GET, and nothing waits for a timer: node-redis writes at the end of
 * the turn anyway, and the batch goes out before that.
 */
import type { Connection } from './connection.js'

/** Keys in one MGET: bounds the reply a single command carries. */
const MAX_KEYS = 128

interface Waiter<R> {
  id: string
  resolve: (value: R) => void
  reject: (error: unknown) => void
}

interface Batch<R> {
  keys: string[]
  waiters: Waiter<R>[]
}

export class ReadBatcher<R> {
  readonly #connection: Connection
  /** Turns one reply into the load's result; may throw (that load alone fails). */
  readonly #loaded: (id: string, record: Buffer | null) => R
  /** Open batches by group: one group on a single node; the bucket (one hash slot) on a cluster. */
  readonly #open = new Map<number, Batch<R>>()
  #scheduled = false

  constructor(connection: Connection, loaded: (id: string, record: Buffer | null) => R) {
    this.#connection = connection
    this.#loaded = loaded
  }

  /** Reads `key` (the session `id`) in the current turn's batch for `group`. */
  load(id: string, key: string, group: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let batch = this.#open.get(group)
      if (batch === undefined) {
        batch = { keys: [], waiters: [] }
        this.#open.set(group, batch)
      }
      batch.keys.push(key)
      batch.waiters.push({ id, resolve, reject })
      if (batch.keys.length >= MAX_KEYS) {
        this.#open.delete(group)
        this.#send(batch)
      } else if (!this.#scheduled) {
        this.#scheduled = true
        // After every promise job queued so far (loads issued by continuations join in), still
        // before the turn ends: a tick queued from a microtask runs once the microtasks drain.
        queueMicrotask(() => process.nextTick(() => this.#flush()))
      }
    })
  }

  #flush(): void {
    this.#scheduled = false
    for (const batch of this.#open.values()) this.#send(batch)
    this.#open.clear()
  }

  #send({ keys, waiters }: Batch<R>): void {
    if (keys.length === 1) {
      const waiter = waiters[0]!
      this.#connection
        .sendMap(keys[0]!, ['GET', keys[0]!], true, (record: Buffer | null) =>
          this.#loaded(waiter.id, record),
        )
        .then(waiter.resolve, waiter.reject)
      return
    }
    this.#connection.send<(Buffer | null)[]>(keys[0]!, ['MGET', ...keys], true).then(
      (records) => {
        for (let i = 0; i < waiters.length; i++) {
          const waiter = waiters[i]!
          let result: R
          try {
            result = this.#loaded(waiter.id, records[i] ?? null)
          } catch (error) {
            waiter.reject(error)
            continue
          }
          waiter.resolve(result)
        }
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error)
      },
    )
  }
}
