/**
 * @module
 * Group commit: writes that arrive while a batch is being written wait and go out together as
 * the next atomic batch. LevelDB writes one large batch far faster than the same writes one by
 * one, and with `sync` one fsync covers the whole group. A write resolves only once its batch is
 * in LevelDB.
 */
import { type AbstractBatchOperation, AbstractLevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import { nextTurn } from '../yield.js'

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
  /** classic-level's chained batch, cleared and reused by every direct write (see `#direct`). */
  #chained: RawChainedBatch | undefined

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
      nextTurn(resolve)
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
        const direct = this.#direct(ops)
        if (direct !== undefined) await direct
        else if (this.sync) await this.#db.batch(ops, { sync: true } as object)
        else await this.#db.batch(ops)
        for (const w of waiters) w.resolve()
      } catch (error) {
        for (const w of waiters) w.reject(error)
      }
    }
    this.#flushing = undefined
  }

  /**
   * The batch written through classic-level's own chained batch (abstract-level's documented
   * private API: `_chainedBatch`, `_put`, `_del`, `_write`), when every op is for a sublevel
   * directly under an open ClassicLevel that nothing observes (no prewrite hook, no `write`
   * listener): abstract-level's public `batch` would copy each op, look up its encodings and
   * prefix its key, which costs as much as LevelDB's own conversion. Each op is one call with its
   * key and value, where `_batch` has the binding read five properties of an op object (about
   * 0.6 µs less per op). Our sublevels' keys are utf8 strings and their values already encoded,
   * so the result is byte for byte the same. Otherwise `undefined`: the caller takes the public
   * path.
   *
   * A chained batch frees its native copy of the ops only when garbage collected, which V8 does
   * not hurry for memory it cannot see. So one batch serves every write (batches go out one at a
   * time), cleared before each: it keeps at most the capacity of its largest batch, and batches
   * over DIRECT_BYTES take the public path, whose copy goes as soon as it is written.
   */
  #direct(ops: BatchOp[]): Promise<void> | undefined {
    const db = this.#db as DirectLevel
    if (!(db instanceof ClassicLevel)) return undefined
    if (db.status !== 'open') {
      this.#chained = undefined // a closed database's batch: let its memory go
      return undefined
    }
    // A subclass or the application may have wrapped batch(): then it must see every batch.
    if (db.batch !== PUBLIC_BATCH) return undefined
    // `noop` is abstract-level's own flag (not in its types); without it, take the public path.
    const hook = db.hooks.prewrite as { noop?: unknown }
    if (hook.noop !== true || db.listenerCount('write') > 0) return undefined
    // Characters and bytes: a bound on the batch's size within UTF-8's factor of 3.
    let size = 0
    for (const op of ops) {
      const sublevel = op.sublevel as DirectSublevel | undefined
      if (sublevel?.parent !== db || typeof op.key !== 'string') return undefined
      size += op.key.length
      if (op.type === 'del') continue
      if (op.type !== 'put') return undefined // abstract-level validates anything else
      const value: unknown = op.value
      if (typeof value === 'string') {
        size += value.length
        continue
      }
      // A utf8 sublevel would store bytes as their decoded text: leave that to abstract-level.
      if (!(value instanceof Uint8Array) || sublevel.valueEncoding().format === 'utf8') {
        return undefined
      }
      size += value.byteLength
    }
    if (size > DIRECT_BYTES) return undefined
    const batch = (this.#chained ??= chainedBatch(db))
    // Also drops whatever a put that threw left in it.
    batch._clear()
    // classic-level's binding converts strings to UTF-8 and takes bytes as they are.
    for (const op of ops) {
      const key = (op.sublevel as DirectSublevel).prefix + (op.key as string)
      if (op.type === 'del') batch._del(key)
      else batch._put(key, op.value as string | Uint8Array)
    }
    return batch._write(this.sync ? SYNC : NO_SYNC)
  }
}

/** A chained batch of `db`'s, detached: it is reused, never closed (see `#direct`). */
function chainedBatch(db: DirectLevel): RawChainedBatch {
  const batch = db._chainedBatch()
  // It attached itself to the database, to be closed with it; its public write() would detach
  // it. Writing through `_write`, the binding holds it as `_batch` holds its ops.
  db.detachResource(batch as unknown as Parameters<typeof db.detachResource>[0])
  return batch
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called unbound
const PUBLIC_BATCH = AbstractLevel.prototype.batch

/** The largest batch written directly (see `#direct`). */
const DIRECT_BYTES = 1 << 20

const SYNC = Object.freeze({ sync: true })
const NO_SYNC = Object.freeze({})

/** What `#direct` uses of a ClassicLevel, beyond its public types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type DirectLevel = ClassicLevel<any, any> & {
  _chainedBatch(): RawChainedBatch
}

/** classic-level's chained batch, as its private API. */
interface RawChainedBatch {
  _put(key: string, value: string | Uint8Array): void
  _del(key: string): void
  _clear(): void
  _write(options: object): Promise<void>
}

interface DirectSublevel {
  readonly parent: unknown
  readonly prefix: string
  valueEncoding(): { format: string }
}
