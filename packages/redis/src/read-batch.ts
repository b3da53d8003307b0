/**
 * @module
 * Loads issued in the same turn of the event loop go out as one MGET (auto-pipelining, as
 * DataLoader batches). A GET costs Redis about as much as an MGET of several keys, and node-redis
 * about as much per command; 64 requests in flight then cost a few commands instead of 64. A load
 * issued alone is still a GET, and nothing waits for a timer: node-redis writes at the end of
 * the turn anyway, and the batch goes out before that.
 *
 * Without a read cache, a load made while no read is in flight or batched goes out at once as a
 * GET of its own: a server's requests mostly read alone (one per socket read), and that read then
 * costs no batch, waiter or scheduled flush (about 10 µs less main-thread CPU per lone read). Under
 * load, reads are in flight all the time and every load is batched as above.
 */
import { type Connection, isReplyError } from './connection.js'
import type { Tracker } from './tracking.js'

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
  /** The read cache's tracking connection, which batches take while tracking is on. */
  readonly #tracker: Tracker | undefined
  /**
   * Turns one reply into the load's result; may throw (that load alone fails). `epoch`: the
   * tracking epoch the record may be cached in (undefined: not to be cached).
   */
  readonly #loaded: (id: string, record: Buffer | null, epoch: number | undefined) => R
  /** Open batches by group: one group on a single node; the bucket (one hash slot) on a cluster. */
  readonly #open = new Map<number, Batch<R>>()
  #scheduled = false
  /** GET and MGET commands sent and not yet answered. */
  #inFlight = 0

  constructor(
    connection: Connection,
    tracker: Tracker | undefined,
    loaded: (id: string, record: Buffer | null, epoch: number | undefined) => R,
  ) {
    this.#connection = connection
    this.#tracker = tracker
    this.#loaded = loaded
  }

  /** Reads `key` (the session `id`) at once, or in the current turn's batch for `group`. */
  load(id: string, key: string, group: number): Promise<R> {
    // Alone: a GET of its own (see the module comment).
    if (this.#inFlight === 0 && !this.#scheduled && this.#tracker === undefined) {
      return this.#getOne(id, key, undefined)
    }
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
    const tracker = this.#tracker?.active === true ? this.#tracker : undefined
    let ticket = 0
    if (tracker !== undefined) for (const waiter of waiters) ticket = tracker.begin(waiter.id)
    this.#inFlight++
    this.#request<(Buffer | null)[]>(keys[0]!, ['MGET', ...keys], tracker).then(
      (records) => {
        this.#inFlight--
        waiters.forEach((waiter, i) =>
          this.#answer(waiter, records[i] ?? null, tracker?.end(waiter.id, ticket)),
        )
      },
      (error: unknown) => {
        this.#inFlight--
        if (tracker !== undefined)
          for (const waiter of waiters) tracker.end(waiter.id, ticket, false)
        // A cluster refuses a multi-key read of a slot being migrated (its keys are on two
        // nodes) where a single-key read follows the redirect: read those keys one by one.
        if (error instanceof Error && /^(TRYAGAIN|CROSSSLOT)\b/.test(error.message)) {
          waiters.forEach((waiter, i) => this.#get(keys[i]!, waiter))
        } else for (const waiter of waiters) waiter.reject(error)
      },
    )
  }

  #get(key: string, waiter: Waiter<R>): void {
    const tracker = this.#tracker?.active === true ? this.#tracker : undefined
    this.#getOne(waiter.id, key, tracker).then(waiter.resolve, waiter.reject)
  }

  /** One key's GET (over `tracker`'s connection when given), as a load's result. */
  #getOne(id: string, key: string, tracker: Tracker | undefined): Promise<R> {
    const ticket = tracker?.begin(id) ?? 0
    this.#inFlight++
    return this.#request<Buffer | null>(key, ['GET', key], tracker).then(
      (record) => {
        this.#inFlight--
        return this.#loaded(id, record, tracker?.end(id, ticket))
      },
      (error: unknown) => {
        this.#inFlight--
        const wrongType = isReplyError(error, 'WRONGTYPE')
        // A WRONGTYPE is a reply from Redis; a failure (a timeout) renews no lease.
        const epoch = tracker?.end(id, ticket, wrongType)
        // As in an MGET: a key of another type is no session (the client starts a new one).
        if (wrongType) return this.#loaded(id, null, epoch)
        throw error
      },
    )
  }

  /** A command's reply, or its failure, even from a client that throws instead of rejecting. */
  #request<T>(key: string, args: string[], tracker: Tracker | undefined): Promise<T> {
    try {
      return (tracker?.connection ?? this.#connection).send<T>(key, args, true)
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown
      return Promise.reject(error)
    }
  }

  /** Settles one load with what its record means (`#loaded` may throw: that load alone fails). */
  #answer(waiter: Waiter<R>, record: Buffer | null, epoch: number | undefined): void {
    try {
      waiter.resolve(this.#loaded(waiter.id, record, epoch))
    } catch (error) {
      waiter.reject(error)
    }
  }
}
