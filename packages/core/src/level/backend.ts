/**
 * @module
 * The Level backend: sessions, an expiry index and a user index in sublevels of one
 * abstract-level database (classic-level on disk, memory-level in tests), written together in
 * atomic batches. One process owns a LevelDB directory, so a write-through cache of recently
 * used sessions is always coherent with the disk.
 */
import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import { SessionDecodeError } from '../errors.js'
import { runFinally } from '../finally.js'
import { KeyedLock } from '../keyed-lock.js'
import { ClockCache } from '../clock-cache.js'
import { DEFAULT_CACHE_BYTES, DEFAULT_CACHE_SIZE } from '../options.js'
import type {
  Backend,
  SessionMutation,
  StoreStats,
  StoredSession,
  SweepOptions,
  SweepResult,
} from '../types.js'
import { type BatchOp, BatchWriter } from './batch-writer.js'
import {
  bucketOf,
  expiryKey,
  expiryValue,
  ownerOf,
  parseExactExpiryKey,
  parseExpiryKey,
  parseUserKey,
  timeKey,
  userKey,
  userRange,
} from './keys.js'
import { ReadBatcher } from './read-batcher.js'
import { statsFromSessions } from '../stats.js'
import { decodeRecord, encodeRecord } from './record.js'
import { compactSession, storedSessionBytes, textSession } from '../text-session.js'
import { yieldToLoop } from '../yield.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLevel = AbstractLevel<any, any, any>
type Sublevel<V> = AbstractSublevel<AnyLevel, unknown, string, V>

/** 1: the expiry index held exact times; 2: it holds minute buckets (see keys.ts). */
export const SCHEMA_VERSION = 2
/** Expiry-index entries handled per step of a sweep; small enough to keep each step short. */
const SWEEP_CHUNK = 64
/** A sweep that deletes this many sessions compacts the ranges it emptied. */
const COMPACT_AFTER = 10_000
/**
 * The value of user-index entries, which are only ever read as keys (and of expiry-index entries
 * written before those named owners). Not empty: classic-level 3.0.0 never frees its native copy
 * of an empty value (32 bytes of malloc per put).
 */
const INDEX_VALUE = '1'
/**
 * Meta key set once the expiry index may hold entries no session matches: a corrupt record was
 * replaced or deleted (its entry could not be found to remove), or LevelDB's repair ran. While it
 * is set, the cleaner reads every session before deleting it. `clear()` lifts it.
 */
const UNTRUSTED_INDEX = 'index-untrusted'
/** Meta key set while `rebuildIndexes()` runs: an open that finds it finishes the rebuild. */
const REBUILDING = 'index-rebuild'

export interface LevelBackendOptions {
  /** fsync every batch. @default false */
  sync?: boolean
  /** Sessions kept in the write-through cache. @default 20_000 */
  cacheSize?: number
  /** Bytes the cache may hold (see `storedSessionBytes`). @default 64 MiB */
  cacheBytes?: number
  /** The values are text (the store's codec is a text codec): the cache keeps them as strings. */
  text?: boolean
  /** Runs before the database opens (directory checks). */
  prepare?: () => Promise<void>
  /** Runs once the database is open (schema checks); a rejection fails the open. */
  opened?: (backend: LevelBackend) => Promise<void>
  /** Called once the last user has called `close()`, with the close in progress. */
  closing?: (done: Promise<void>) => void
  /** Runs after the last `close()`, once writes have settled. */
  release?: () => Promise<void>
}

export class LevelBackend implements Backend {
  readonly name = 'level'
  readonly db: AnyLevel
  readonly #sessions: Sublevel<Buffer>
  readonly #expiry: Sublevel<string>
  readonly #users: Sublevel<string>
  readonly #meta: Sublevel<string>
  readonly #writer: BatchWriter
  readonly #reader: ReadBatcher<Buffer>
  readonly #lock = new KeyedLock()
  readonly #cache: ClockCache<StoredSession>
  readonly #options: LevelBackendOptions
  /** Expiry-index key below which the last complete sweep left nothing. */
  #watermark: string | undefined
  /** Bumped whenever the watermark is invalidated, so a sweep in progress does not restore it. */
  #watermarkEpoch = 0
  /** Set while `clear()` runs: every other operation waits for it. */
  #barrier: Promise<void> | undefined
  /** Operations in progress that `clear()` must wait for. */
  #active = 0
  #idle: (() => void) | undefined
  #refs = 0
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined
  readonly #background = new Set<Promise<unknown>>()
  /** One set per sweep in progress: the ids written since it began (see #sweep). */
  readonly #sweeping = new Set<Set<string>>()
  /** False once UNTRUSTED_INDEX is set: sweeps then read every session (see #sweep). */
  #indexTrusted = true
  /** False while a rebuild has cleared the user index and not finished: listUser scans. */
  #userIndexComplete = true

  constructor(db: AnyLevel, options: LevelBackendOptions = {}) {
    this.db = db
    this.#options = options
    const sub = <V>(name: string, valueEncoding: string): Sublevel<V> =>
      db.sublevel<string, V>(name, { keyEncoding: 'utf8', valueEncoding })
    this.#sessions = sub<Buffer>('s', 'buffer')
    this.#expiry = sub<string>('x', 'utf8')
    this.#users = sub<string>('u', 'utf8')
    this.#meta = sub<string>('m', 'utf8')
    this.#writer = new BatchWriter(db, options.sync === true)
    this.#reader = new ReadBatcher(this.#sessions)
    this.#cache = new ClockCache(
      options.cacheSize ?? DEFAULT_CACHE_SIZE,
      options.cacheBytes ?? DEFAULT_CACHE_BYTES,
      storedSessionBytes,
    )
  }

  /** Makes every later write batch fsync'd (a store sharing this handle asked for it). */
  requireSync(): void {
    this.#writer.sync = true
  }

  /** Counts one more user of this shared backend; each must call `close()` once. */
  retain(): this {
    this.#refs++
    return this
  }

  open(): Promise<void> {
    this.#opening ??= this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    await this.#options.prepare?.()
    await this.db.open()
    await this.#options.opened?.(this)
    this.#indexTrusted = (await this.#meta.get(UNTRUSTED_INDEX)) === undefined
    if ((await this.#meta.get(REBUILDING)) !== undefined) await this.#rebuild()
  }

  /**
   * Makes the cleaner read every session before deleting it, in this process and after reopening,
   * until `clear()`: for after LevelDB's repair, which can bring back index entries of sessions
   * since deleted.
   */
  async distrustIndex(): Promise<void> {
    await this.#writer.write([this.#distrustOp()])
  }

  #distrustOp(): BatchOp {
    this.#indexTrusted = false
    return { type: 'put', sublevel: this.#meta, key: UNTRUSTED_INDEX, value: '1' }
  }

  /** Schema version stored in the meta sublevel, if any. */
  async schemaVersion(): Promise<string | undefined> {
    return this.#meta.get('schema')
  }

  /** Whether the database holds any key outside this backend's sublevels. */
  async hasForeignKeys(): Promise<boolean> {
    const ours = [this.#sessions, this.#expiry, this.#users, this.#meta].map((s) => s.prefix)
    for await (const key of this.db.keys({ keyEncoding: 'utf8' }) as AsyncIterable<string>) {
      if (!ours.some((prefix) => key.startsWith(prefix))) return true
    }
    return false
  }

  /**
   * Brings a database of an older schema to this one, in place: schema 1's expiry index held
   * exact times, which become buckets. Safe to run again after an interruption.
   */
  async upgradeSchema(from: number): Promise<void> {
    if (from < 2) {
      const iterator = this.#expiry.keys()
      try {
        for (;;) {
          // The iterator reads a snapshot: the keys written here are never visited.
          const keys = await iterator.nextv(1000)
          if (keys.length === 0) break
          const ops: BatchOp[] = []
          for (const key of keys) {
            const { expiresAt, id } = parseExactExpiryKey(key)
            const next = expiryKey(expiresAt, id)
            if (next === key) continue
            ops.push({ type: 'del', sublevel: this.#expiry, key })
            ops.push({ type: 'put', sublevel: this.#expiry, key: next, value: INDEX_VALUE })
          }
          if (ops.length > 0) await this.db.batch(ops)
        }
      } finally {
        await iterator.close()
      }
    }
    await this.#meta.put('schema', String(SCHEMA_VERSION))
  }

  async writeSchema(): Promise<void> {
    await this.#meta.batch([
      { type: 'put', key: 'schema', value: String(SCHEMA_VERSION) },
      { type: 'put', key: 'createdAt', value: new Date().toISOString() },
    ])
  }

  peek(id: string): StoredSession | undefined {
    return this.#barrier === undefined ? this.#cache.get(id) : undefined
  }

  async load(id: string): Promise<StoredSession | undefined> {
    if (this.#barrier === undefined) {
      const cached = this.#cache.get(id)
      if (cached !== undefined) return cached
    }
    return this.#guarded(id, () => this.#read(id))
  }

  update(id: string, mutate: SessionMutation): Promise<StoredSession | undefined> {
    return this.#guarded(id, () => this.#update(id, mutate))
  }

  /**
   * Under the id's lock. A cached session and a synchronous mutation (every set and touch of a
   * session in use) cost one promise, the write's, and no async frame.
   */
  #update(id: string, mutate: SessionMutation): Promise<StoredSession | undefined> {
    const current = this.#cache.get(id)
    if (current === undefined) return this.#readAndUpdate(id, mutate)
    let next: ReturnType<SessionMutation>
    try {
      next = mutate(current)
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown
      return Promise.reject(error)
    }
    if (next instanceof Promise) return next.then((n) => this.#apply(id, current, false, n))
    return this.#apply(id, current, false, next)
  }

  async #readAndUpdate(id: string, mutate: SessionMutation): Promise<StoredSession | undefined> {
    const { current, corrupt } = await this.#readTolerant(id)
    // A native promise only, as on the cached path: both paths treat a mutation alike.
    let next = mutate(current)
    if (next instanceof Promise) next = await next
    return this.#apply(id, current, corrupt, next)
  }

  /** Writes what a mutation returned (`undefined`: nothing; `null`: delete); resolves to the result. */
  #apply(
    id: string,
    current: StoredSession | undefined,
    corrupt: boolean,
    next: StoredSession | null | undefined,
  ): Promise<StoredSession | undefined> {
    if (next === undefined) return Promise.resolve(current)
    if (next === null && current === undefined && !corrupt) return Promise.resolve(undefined)
    return this.#commit(id, current, corrupt, next)
  }

  /**
   * Writes a session's next state (`null`: none) with its index changes, under the id's lock;
   * resolves to that state (`undefined`: none).
   */
  #commit(
    id: string,
    current: StoredSession | undefined,
    corrupt: boolean,
    next: StoredSession | null,
  ): Promise<StoredSession | undefined> {
    const ops = next === null ? this.#deleteOps(id, current) : this.#putOps(current, next)
    // An unreadable record's expiry entry cannot be found from it: it stays behind, so the index
    // is distrusted (see UNTRUSTED_INDEX).
    if (corrupt) ops.push(this.#distrustOp())
    return this.#write(id, ops, next ?? undefined)
  }

  delete(id: string): Promise<StoredSession | undefined> {
    return this.#guarded(id, async () => {
      const { current, corrupt } = await this.#readTolerant(id)
      if (current === undefined && !corrupt) return undefined
      await this.#commit(id, current, corrupt, null)
      return current
    })
  }

  async listUser(userId: string): Promise<StoredSession[]> {
    // A rebuild that failed midway left the user index partial: sign-out-everywhere must still
    // find every session, so read them all.
    if (!this.#userIndexComplete) {
      const found: StoredSession[] = []
      for await (const s of this.entries()) if (s.userId === userId) found.push(s)
      return found
    }
    const found = await this.#readMany(await this.listUserIds(userId))
    return found.filter((s): s is StoredSession => s !== undefined && s.userId === userId)
  }

  async listUserIds(userId: string): Promise<string[]> {
    if (!this.#userIndexComplete) return (await this.listUser(userId)).map((s) => s.id)
    const ids: string[] = []
    for await (const key of this.#users.keys(userRange(userId))) ids.push(parseUserKey(key).id)
    return ids
  }

  async *entries(): AsyncGenerator<StoredSession> {
    for await (const [id, raw] of this.#sessions.iterator()) {
      let session: StoredSession
      try {
        session = decodeRecord(id, raw)
      } catch {
        continue
      }
      yield session
    }
  }

  async count(now: number): Promise<number> {
    // An index that may hold entries of sessions since lost (see UNTRUSTED_INDEX) is not counted.
    if (!this.#indexTrusted) {
      let live = 0
      for await (const s of this.entries()) if (s.expiresAt > now) live++
      return live
    }
    // Every bucket after the one holding `now` is live; in that one, each session's own expiry
    // decides. One iterator (one snapshot) for both: a session whose write moves it to a later
    // bucket meanwhile is then in exactly one of them.
    const boundary = bucketOf(now)
    let total = 0
    const current: string[] = []
    const iterator = this.#expiry.keys({ gte: timeKey(boundary) })
    try {
      for (;;) {
        const keys = await iterator.nextv(1000)
        if (keys.length === 0) break
        for (const key of keys) {
          const { bucket, id } = parseExpiryKey(key)
          if (bucket === boundary) current.push(id)
          else total++
        }
      }
    } finally {
      await iterator.close()
    }
    await this.#eachSessionOf(current, (s) => {
      if (s.expiresAt > now) total++
    })
    return total
  }

  /** Calls `each` with every session of `ids` still stored, reading a chunk at a time. */
  async #eachSessionOf(ids: string[], each: (session: StoredSession) => void): Promise<void> {
    for (let at = 0; at < ids.length; at += 1000) {
      for (const s of await this.#readMany(ids.slice(at, at + 1000))) if (s !== undefined) each(s)
    }
  }

  /**
   * Calls `each` with every session indexed in one bucket (entries whose session is elsewhere are
   * left out), reading a chunk at a time: one bucket may hold many sessions.
   */
  async #eachIndexedIn(bucket: number, each: (session: StoredSession) => void): Promise<void> {
    const iterator = this.#expiry.keys({ gte: timeKey(bucket), lt: timeKey(bucket + 1) })
    try {
      for (;;) {
        const keys = await iterator.nextv(1000)
        if (keys.length === 0) return
        const found = await this.#readMany(keys.map((key) => parseExpiryKey(key).id))
        for (const s of found) if (s !== undefined && bucketOf(s.expiresAt) === bucket) each(s)
      }
    } finally {
      await iterator.close()
    }
  }

  /** Removes everything, alone (see `#alone`). */
  clear(): Promise<void> {
    return this.#alone(async () => {
      await Promise.all([this.#sessions.clear(), this.#expiry.clear(), this.#users.clear()])
      await this.#trustIndex()
    })
  }

  /**
   * Rebuilds the expiry and user indexes from the sessions themselves, alone (see `#alone`), and
   * trusts them again: for after LevelDB's repair, which recovers sessions and index entries
   * independently (an entry whose session was lost would be counted; a session whose entry was
   * lost would never expire). Unreadable records are deleted: nothing could read them, and no
   * index entry would lead the cleaner to them.
   */
  rebuildIndexes(): Promise<{ sessions: number; unreadable: number }> {
    return this.#alone(() => this.#rebuild())
  }

  /**
   * The work of `rebuildIndexes`. Marked in the database first: a rebuild interrupted (a crash, a
   * full disk) leaves the index distrusted, and the next open finishes it.
   */
  async #rebuild(): Promise<{ sessions: number; unreadable: number }> {
    // `sync` is classic-level's (not in abstract-level's types): as strict as the store's writes.
    const options = (this.#writer.sync ? { sync: true } : {}) as object
    this.#indexTrusted = false
    this.#userIndexComplete = false
    await this.#meta.batch(
      [
        { type: 'put', key: UNTRUSTED_INDEX, value: '1' },
        { type: 'put', key: REBUILDING, value: '1' },
      ],
      options,
    )
    await Promise.all([this.#expiry.clear(), this.#users.clear()])
    let sessions = 0
    let unreadable = 0
    let ops: BatchOp[] = []
    // The iterator reads a snapshot: the deletes below do not disturb it.
    for await (const [id, raw] of this.#sessions.iterator()) {
      let session: StoredSession
      try {
        session = decodeRecord(id, raw)
      } catch {
        ops.push({ type: 'del', sublevel: this.#sessions, key: id })
        unreadable++
        continue
      }
      ops.push(this.#expiryPut(session))
      if (session.userId !== undefined) ops.push(this.#userPut(session.userId, session.id))
      sessions++
      if (ops.length >= 1000) {
        await this.db.batch(ops, options)
        ops = []
      }
    }
    if (ops.length > 0) await this.db.batch(ops, options)
    await this.#trustIndex(options)
    return { sessions, unreadable }
  }

  /**
   * Runs `task` alone: operations that arrive meanwhile wait, those in progress finish first, and
   * so do the writes queued.
   */
  async #alone<T>(task: () => Promise<T>): Promise<T> {
    while (this.#barrier !== undefined) await this.#barrier
    let lift!: () => void
    this.#barrier = new Promise<void>((resolve) => (lift = resolve))
    try {
      if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
      await this.#writer.idle()
      return await task()
    } finally {
      this.#barrier = undefined
      lift()
    }
  }

  /** The indexes match the sessions exactly (emptied, or rebuilt from them). */
  async #trustIndex(options: object = {}): Promise<void> {
    // Both markers in one write: between two, a crash would leave the index distrusted for good.
    await this.#meta.batch(
      [
        { type: 'del', key: UNTRUSTED_INDEX },
        { type: 'del', key: REBUILDING },
      ],
      options,
    )
    this.#indexTrusted = true
    this.#userIndexComplete = true
    this.#cache.clear()
    this.#resetWatermark()
  }

  /**
   * Runs an operation that `clear()` must not overlap, under the id's lock when it names one.
   * Without a `clear()` in progress (nearly always) it starts at once, with no extra await: this
   * wraps every read and write, and the lock counts it off in its own settling.
   */
  #guarded<T>(id: string | undefined, task: () => Promise<T>): Promise<T> {
    if (this.#barrier !== undefined) return this.#afterBarrier(() => this.#guarded(id, task))
    this.#active++
    return id === undefined ? runFinally(task, this.#leave) : this.#lock.run(id, task, this.#leave)
  }

  /** Runs `task` once no `clear()` is in progress. */
  async #afterBarrier<T>(task: () => Promise<T>): Promise<T> {
    while (this.#barrier !== undefined) await this.#barrier
    return task()
  }

  /** An operation has settled (bound once: it is handed to every one). */
  readonly #leave = (): void => {
    if (--this.#active === 0 && this.#idle !== undefined) {
      this.#idle()
      this.#idle = undefined
    }
  }

  #resetWatermark(): void {
    this.#watermark = undefined
    this.#watermarkEpoch++
  }

  sweep(options: SweepOptions): Promise<SweepResult> {
    return this.#guarded(undefined, () => this.#sweep(options))
  }

  async #sweep({ now, signal, onExpired, onDeleted }: SweepOptions): Promise<SweepResult> {
    const start = this.#watermark
    const epoch = this.#watermarkEpoch
    // Buckets before the one holding `now` are wholly expired; in that one, some may be live.
    const boundary = bucketOf(now)
    const end = timeKey(boundary + 1)
    let scanned = 0
    let deleted = 0
    let skipped: string | undefined
    // Ids written from here on. Registered before the iterator takes its snapshot, so an entry
    // the snapshot holds but a later write moved is known, and its session is read, not trusted.
    const written = new Set<string>()
    this.#sweeping.add(written)
    const iterator = this.#expiry.iterator({
      ...(start === undefined ? {} : { gte: start }),
      lt: end,
    })
    try {
      for (;;) {
        if (signal?.aborted === true) return { scanned, deleted }
        const chunk = await iterator.nextv(SWEEP_CHUNK)
        if (chunk.length === 0) break
        const entries = chunk.map(([key, value]) => ({ key, value, ...parseExpiryKey(key) }))
        // Sessions in use are skipped (and swept next time): never wait for a request here.
        const { taken, release } = this.#lock.tryLockMany(entries.map((e) => e.id))
        try {
          const held = new Set(taken)
          const ops: BatchOp[] = []
          const toRead: typeof entries = []
          const gone: string[] = []
          for (const entry of entries) {
            if (!held.has(entry.id)) {
              skipped ??= entry.key
              continue
            }
            // Under the id's lock, an entry in a past bucket that no write has moved since the
            // snapshot indexes its session exactly: the session expired, and the entry names its
            // owner. Anything else is read: a distrusted index, the bucket holding `now`, an
            // entry not naming the owner, a session written meanwhile, a listener on `expired`.
            const owner = ownerOf(entry.value)
            if (
              this.#indexTrusted &&
              entry.bucket < boundary &&
              owner !== undefined &&
              onExpired === undefined &&
              !written.has(entry.id)
            ) {
              ops.push(...this.#removalOps(entry.id, entry.key, owner ?? undefined))
              gone.push(entry.id)
            } else {
              toRead.push(entry)
            }
          }
          const current = await this.#readMany(toRead.map((e) => e.id))
          const removed: StoredSession[] = []
          let live = 0
          toRead.forEach((entry, i) => {
            const session = current[i]
            const indexed = session !== undefined && bucketOf(session.expiresAt) === entry.bucket
            // Live, in the bucket holding `now`: stays, and is looked at again next time.
            if (indexed && session.expiresAt > now) {
              live++
              return
            }
            // A session renewed since this entry was written keeps its newer entry and survives.
            if (!indexed)
              return void ops.push({ type: 'del', sublevel: this.#expiry, key: entry.key })
            ops.push(...this.#removalOps(entry.id, entry.key, session.userId))
            removed.push(session)
            gone.push(entry.id)
          })
          await this.#writer.write(ops)
          // Only entries that were due count as scanned, as with exact times.
          scanned += chunk.length - live
          for (const id of gone) {
            this.#cache.delete(id)
            // Another sweep (a second store on this handle) may hold these entries in its snapshot.
            this.#noteWritten(id, written)
          }
          deleted += gone.length
          if (removed.length > 0) onExpired?.(removed)
          if (gone.length > 0) onDeleted?.(gone.length)
        } finally {
          release()
        }
        await yieldToLoop()
      }
    } finally {
      this.#sweeping.delete(written)
      await iterator.close()
    }
    // Unless a write below it arrived meanwhile, everything before this point is swept; the
    // bucket holding `now` may still hold live sessions.
    const resume = timeKey(boundary)
    if (epoch === this.#watermarkEpoch) {
      this.#watermark = skipped !== undefined && skipped < resume ? skipped : resume
    }
    if (deleted >= COMPACT_AFTER) this.#track(this.#compact(start ?? timeKey(0), end))
    return { scanned, deleted }
  }

  async stats(
    now: number,
  ): Promise<Omit<StoreStats, 'schemaVersion'> & { schemaVersion?: number }> {
    // An index that may not match its sessions is not counted: the sessions are.
    if (!this.#indexTrusted) {
      return this.#withSchemaVersion(
        await statsFromSessions(this.entries(), (s) => s.expiresAt > now),
      )
    }
    // Counted from the index; only the bucket holding `now` and the buckets holding the
    // earliest and latest expiry are read, for exact times.
    const boundary = bucketOf(now)
    let sessions = 0
    let expired = 0
    let firstBucket: number | undefined
    let lastBucket: number | undefined
    // The bucket holding `now` is decided by its sessions, read after this one pass (one
    // snapshot, as in count()).
    const current: string[] = []
    for await (const key of this.#expiry.keys()) {
      const { bucket, id } = parseExpiryKey(key)
      if (bucket < boundary) expired++
      else if (bucket === boundary) current.push(id)
      else {
        sessions++
        firstBucket ??= bucket
        lastBucket = bucket
      }
    }
    let earliestExpiry: number | undefined
    let latestExpiry: number | undefined
    const seen = (t: number) => {
      if (earliestExpiry === undefined || t < earliestExpiry) earliestExpiry = t
      if (latestExpiry === undefined || t > latestExpiry) latestExpiry = t
    }
    await this.#eachSessionOf(current, (s) => {
      if (s.expiresAt <= now) return void expired++
      sessions++
      seen(s.expiresAt)
    })
    // Live buckets after it: the first holds the earliest expiry, the last the latest.
    const readFirst = earliestExpiry === undefined && firstBucket !== undefined
    if (readFirst) await this.#eachIndexedIn(firstBucket!, (s) => seen(s.expiresAt))
    if (lastBucket !== undefined && !(readFirst && lastBucket === firstBucket)) {
      await this.#eachIndexedIn(lastBucket, (s) => seen(s.expiresAt))
    }
    let users = 0
    let last: string | undefined
    for await (const key of this.#users.keys()) {
      const { userId } = parseUserKey(key)
      if (userId !== last) users++
      last = userId
    }
    return this.#withSchemaVersion({ sessions, expired, earliestExpiry, latestExpiry, users })
  }

  async #withSchemaVersion(
    counts: Omit<StoreStats, 'schemaVersion'>,
  ): Promise<Omit<StoreStats, 'schemaVersion'> & { schemaVersion?: number }> {
    const version = Number(await this.schemaVersion())
    return { ...counts, ...(Number.isInteger(version) ? { schemaVersion: version } : {}) }
  }

  async compact(): Promise<void> {
    await this.#writer.idle()
    const root = this.db as AnyLevel & { compactRange?: (a: string, b: string) => Promise<void> }
    if (typeof root.compactRange !== 'function') return
    for (const sub of [this.#sessions, this.#expiry, this.#users]) {
      const [start, end] = prefixRange(sub.prefixKey('', 'utf8'))
      await root.compactRange(start, end)
    }
  }

  async verify(): Promise<string[]> {
    const problems: string[] = []
    const sessions = new Map<string, StoredSession>()
    for await (const [id, raw] of this.#sessions.iterator()) {
      try {
        sessions.set(id, decodeRecord(id, raw))
      } catch (error) {
        problems.push(`session ${id}: ${(error as Error).message}`)
      }
    }
    const indexed = new Map<string, number>()
    for await (const [key, value] of this.#expiry.iterator()) {
      const { id, bucket } = parseExpiryKey(key)
      const session = sessions.get(id)
      const owner = ownerOf(value)
      if (session === undefined) problems.push(`expiry entry ${key}: no session`)
      else if (bucketOf(session.expiresAt) !== bucket)
        problems.push(`expiry entry ${key}: session expires at ${session.expiresAt}`)
      else if (owner !== undefined && (owner ?? undefined) !== session.userId)
        problems.push(
          `expiry entry ${key}: names ${owner ?? 'nobody'}, session belongs to ${session.userId ?? 'nobody'}`,
        )
      indexed.set(id, (indexed.get(id) ?? 0) + 1)
    }
    const owned = new Map<string, number>()
    for await (const key of this.#users.keys()) {
      const { userId, id } = parseUserKey(key)
      const session = sessions.get(id)
      if (session === undefined) problems.push(`user entry ${userId}/${id}: no session`)
      else if (session.userId !== userId)
        problems.push(
          `user entry ${userId}/${id}: session belongs to ${session.userId ?? 'nobody'}`,
        )
      owned.set(id, (owned.get(id) ?? 0) + 1)
    }
    for (const session of sessions.values()) {
      const n = indexed.get(session.id) ?? 0
      if (n !== 1) problems.push(`session ${session.id}: ${n} expiry entries`)
      const u = owned.get(session.id) ?? 0
      if (u !== (session.userId === undefined ? 0 : 1))
        problems.push(`session ${session.id}: ${u} user entries`)
    }
    return problems
  }

  close(): Promise<void> {
    if (--this.#refs > 0) return Promise.resolve()
    if (this.#closing === undefined) {
      this.#closing = this.#close()
      this.#options.closing?.(this.#closing)
    }
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.#opening?.catch(() => undefined)
    await this.#writer.idle()
    await Promise.allSettled([...this.#background])
    await this.#options.release?.()
  }

  async #read(id: string): Promise<StoredSession | undefined> {
    const cached = this.#cache.get(id)
    if (cached !== undefined) return cached
    const raw = await this.#reader.get(id)
    if (raw === undefined) return undefined
    let session: StoredSession
    try {
      session = decodeRecord(id, raw)
    } catch (error) {
      throw new SessionDecodeError(id, error)
    }
    if (this.#options.text === true) session = textSession(session)
    this.#cache.set(id, session)
    return session
  }

  /** Reads under the id's lock; an unreadable record counts as absent so a write can replace it. */
  async #readTolerant(
    id: string,
  ): Promise<{ current: StoredSession | undefined; corrupt: boolean }> {
    try {
      return { current: await this.#read(id), corrupt: false }
    } catch (error) {
      if (error instanceof SessionDecodeError) return { current: undefined, corrupt: true }
      throw error
    }
  }

  /** Reads many sessions without taking locks or filling the cache. */
  async #readMany(ids: string[]): Promise<(StoredSession | undefined)[]> {
    const result: (StoredSession | undefined)[] = ids.map((id) => this.#cache.get(id))
    const missing: number[] = []
    result.forEach((session, i) => session === undefined && missing.push(i))
    if (missing.length === 0) return result
    const raws = await this.#sessions.getMany(missing.map((i) => ids[i]!))
    raws.forEach((raw, j) => {
      const i = missing[j]!
      if (raw === undefined) return
      try {
        result[i] = decodeRecord(ids[i]!, raw)
      } catch {
        // Unreadable records stay undefined here; load() reports them.
      }
    })
    return result
  }

  /** Resolves to `next` once written: the caller's result, in this same `then`. */
  #write(id: string, ops: BatchOp[], next?: StoredSession): Promise<StoredSession | undefined> {
    return this.#writer.write(ops).then(
      () => {
        // Once the batch has landed (or failed): a sweep's snapshot taken before may hold this
        // id's old expiry entry.
        this.#noteWritten(id)
        if (next === undefined) this.#cache.delete(id)
        else this.#cache.set(id, compactSession(next))
        return next
      },
      (error: unknown) => {
        this.#noteWritten(id)
        throw error
      },
    )
  }

  /** Tells the sweeps in progress (but `except`) that `id` was written since they began. */
  #noteWritten(id: string, except?: Set<string>): void {
    for (const written of this.#sweeping) if (written !== except) written.add(id)
  }

  #deleteOps(id: string, current: StoredSession | undefined): BatchOp[] {
    if (current === undefined) return [{ type: 'del', sublevel: this.#sessions, key: id }]
    return this.#removalOps(id, expiryKey(current.expiresAt, id), current.userId)
  }

  /** Removes a session with its expiry entry (`entry`) and, when it has an owner, its user entry. */
  #removalOps(id: string, entry: string, userId: string | undefined): BatchOp[] {
    const ops: BatchOp[] = [
      { type: 'del', sublevel: this.#sessions, key: id },
      { type: 'del', sublevel: this.#expiry, key: entry },
    ]
    if (userId !== undefined) ops.push(this.#userDel(userId, id))
    return ops
  }

  #userDel(userId: string, id: string): BatchOp {
    return { type: 'del', sublevel: this.#users, key: userKey(userId, id) }
  }

  #putOps(current: StoredSession | undefined, next: StoredSession): BatchOp[] {
    const ops: BatchOp[] = [
      { type: 'put', sublevel: this.#sessions, key: next.id, value: encodeRecord(next) },
    ]
    // Index entries change only when what they hold changes (for the expiry: when it leaves its
    // bucket, or the owner changes): every write holds the id's lock and clear() runs alone, so
    // `current` is exactly what the indexes hold.
    const moved = current !== undefined && bucketOf(current.expiresAt) !== bucketOf(next.expiresAt)
    if (current === undefined || moved || current.userId !== next.userId) {
      const put = this.#expiryPut(next)
      ops.push(put)
      if (moved) {
        ops.push({
          type: 'del',
          sublevel: this.#expiry,
          key: expiryKey(current.expiresAt, next.id),
        })
      }
      // A clock that went backwards can write below the watermark: sweep from the start again.
      if (this.#watermark !== undefined && put.key < this.#watermark) this.#resetWatermark()
    }
    if (current?.userId !== undefined && current.userId !== next.userId) {
      ops.push(this.#userDel(current.userId, next.id))
    }
    if (next.userId !== undefined && current?.userId !== next.userId) {
      ops.push(this.#userPut(next.userId, next.id))
    }
    return ops
  }

  /** The expiry-index entry of `session` (naming its owner). */
  #expiryPut(session: StoredSession): BatchOp & { key: string } {
    const key = expiryKey(session.expiresAt, session.id)
    return { type: 'put', sublevel: this.#expiry, key, value: expiryValue(session.userId) }
  }

  #userPut(userId: string, id: string): BatchOp {
    return { type: 'put', sublevel: this.#users, key: userKey(userId, id), value: INDEX_VALUE }
  }

  async #compact(start: string, end: string): Promise<void> {
    const root = this.db as AnyLevel & { compactRange?: (a: string, b: string) => Promise<void> }
    if (typeof root.compactRange !== 'function') return
    await root.compactRange(
      this.#expiry.prefixKey(start, 'utf8'),
      this.#expiry.prefixKey(end, 'utf8'),
    )
    const prefix = this.#sessions.prefixKey('', 'utf8')
    await root.compactRange(
      prefix,
      prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1),
    )
  }

  #track(task: Promise<unknown>): void {
    const guarded = task.catch(() => undefined).finally(() => this.#background.delete(guarded))
    this.#background.add(guarded)
  }
}

/** The key range of everything under a sublevel prefix such as `!s!`. */
function prefixRange(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1)
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)]
}
