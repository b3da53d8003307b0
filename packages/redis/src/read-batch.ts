/**
 * @module
 * Loads issued in the same turn of the event loop go out as one MGET (auto-pipelining, as
 * DataLoader batches). A GET costs Redis about as much as an MGET of several keys, and node-redis
 * about as much per command; 64 requests in flight then cost a few commands instead of 64. A load
 * issued alone is still a GET, and nothing waits for a timer: node-redis writes at the end of
 * the turn anyway, and the batch goes out before that.
 */
import type { Connection } from './connection.js'

/**
 * Keys in one MGET: bounds the reply a single command carries. (A key of another type than
 * string reads as nil in an MGET, where a GET fails with WRONGTYPE: both count as no session.)
 */
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
    const batches = [...this.#open.values()]
    this.#open.clear()
    for (const batch of batches) this.#send(batch)
  }

  /** Sends one batch; every load in it settles, whatever happens (a client may even throw). */
  #send({ keys, waiters }: Batch<R>): void {
    if (keys.length === 1) {
      this.#get(keys[0]!, waiters[0]!)
      return
    }
    let reply: Promise<(Buffer | null)[]>
    try {
      reply = this.#connection.send<(Buffer | null)[]>(keys[0]!, ['MGET', ...keys], true)
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error)
      return
    }
    reply.then(
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
        // A cluster refuses a multi-key read of a slot being migrated (its keys are on two
        // nodes) where a single-key read follows the redirect: read those keys one by one.
        if (error instanceof Error && /^(TRYAGAIN|CROSSSLOT)\b/.test(error.message)) {
          for (let i = 0; i < waiters.length; i++) this.#get(keys[i]!, waiters[i]!)
        } else for (const waiter of waiters) waiter.reject(error)
      },
    )
  }

  #get(key: string, waiter: Waiter<R>): void {
    let reply: Promise<R>
    try {
      reply = this.#connection.sendMap(key, ['GET', key], true, (record: Buffer | null) =>
        this.#loaded(waiter.id, record),
      )
    } catch (error) {
      waiter.reject(error)
      return
    }
    reply.then(waiter.resolve, (error: unknown) => {
      // As in an MGET: a key of another type is no session (the client starts a new one).
      if (!(error instanceof Error) || !error.message.startsWith('WRONGTYPE')) {
        waiter.reject(error)
        return
      }
      try {
        waiter.resolve(this.#loaded(waiter.id, null))
      } catch (failure) {
        waiter.reject(failure)
      }
    })
  }
}
