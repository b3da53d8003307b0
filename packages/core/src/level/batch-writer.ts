/**
 * @module
 * Group commit: writes that arrive while a batch is being written wait and go out together as
 * the next atomic batch. LevelDB writes one large batch far faster than the same writes one by
 * one, and with `sync` one fsync covers the whole group. A write resolves only once its batch is
 * in LevelDB.
 */
import type { AbstractBatchOperation, AbstractLevel } from 'abstract-level'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BatchOp = AbstractBatchOperation<AbstractLevel<any, any, any>, any, any>

/**
 * Writes queued before the first batch starts it at once instead of at the end of this turn of
 * the event loop: callers that issue many writes together (64 in flight) then overlap LevelDB's
 * work with theirs instead of all waiting on one batch while the loop idles (1.25x operations per
 * second in tools/bench/ab.mjs). A server's writes, a few per turn, still share one batch.
 */
const START_AT = 16

interface Waiter {
  resolve: () => void
  reject: (error: unknown) => void
}

export class BatchWriter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #db: AbstractLevel<any, any, any>
  /** fsync each batch; may be switched on later by a store that shares this handle. */
  sync: boolean
  #ops: BatchOp[] = []
  #waiters: Waiter[] = []
  #flushing: Promise<void> | undefined
  /** Starts the pending first batch early (see START_AT). */
  #start: (() => void) | undefined

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(db: AbstractLevel<any, any, any>, sync: boolean) {
    this.#db = db
    this.sync = sync
  }

  write(ops: BatchOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      for (const op of ops) this.#ops.push(op)
      this.#waiters.push({ resolve, reject })
      if (this.#flushing === undefined) this.#flushing = this.#flush()
      else if (this.#start !== undefined && this.#waiters.length >= START_AT) this.#start()
    })
  }

  /** Resolves once every write queued so far has settled. */
  async idle(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing
  }

  async #flush(): Promise<void> {
    // Let the writes of this turn of the event loop join the first batch: LevelDB writes one
    // larger batch faster than several small ones, and each batch costs a thread hand-off.
    await new Promise<void>((resolve) => {
      this.#start = resolve
      setImmediate(resolve)
    })
    this.#start = undefined
    while (this.#waiters.length > 0) {
      const ops = this.#ops
      const waiters = this.#waiters
      this.#ops = []
      this.#waiters = []
      try {
        // `sync` is classic-level's; an options object costs memory-level a slow path, so pass
        // one only when needed.
        if (this.sync) await this.#db.batch(ops, { sync: true } as object)
        else await this.#db.batch(ops)
        for (const w of waiters) w.resolve()
      } catch (error) {
        for (const w of waiters) w.reject(error)
      }
    }
    this.#flushing = undefined
  }
}
