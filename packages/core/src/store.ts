/**
 * @module
 * `SessionStore`: the policy layer every adapter uses. It owns expiry (sliding or fixed, the
 * absolute cap, lazy touch), the codec, the user-id extractor, input validation, events and the
 * cleaner; a `Backend` owns storage and index consistency.
 */
import { EventEmitter } from 'node:events'
import { Cleaner } from './cleaner.js'
import { statsFromSessions } from './stats.js'
import { runFinally } from './finally.js'
import { decodeValue, type Encoded, encodeValue } from './codec.js'
import {
  SessionDecodeError,
  SessionError,
  SessionIdError,
  SessionStoreClosedError,
  SessionStoreIOError,
  SessionUserIdError,
} from './errors.js'
import { isValidSessionId, MAX_ID_LENGTH } from './id.js'
import { levelBackendForDb, levelBackendForPath } from './level/open.js'
import type { AnyLevel } from './level/backend.js'
import { exactText, TextSession } from './text-session.js'
import { MAX_TTL, type ResolvedOptions, resolveOptions, ttlOption } from './options.js'
import type {
  Backend,
  DestroyUserOptions,
  PruneOptions,
  PruneResult,
  SessionData,
  SessionSnapshot,
  StoreStats,
  SessionRecord,
  SessionStoreEvents,
  SessionStoreOptions,
  SetIfExistsOptions,
  SetOptions,
  StoredSession,
  TouchOptions,
  UpdateOptions,
} from './types.js'
import { yieldToLoop } from './yield.js'

export class SessionStore<D = SessionData> extends EventEmitter<SessionStoreEvents> {
  /** Options after validation and defaults. */
  readonly options: Readonly<ResolvedOptions<D>>
  readonly backend: Backend
  readonly #ready: Promise<void>
  readonly #cleaner: Cleaner
  /** Calls in flight, and a waiter for when they reach zero (close). */
  #pending = 0
  #drained: (() => void) | undefined
  #open = false
  #closing: Promise<void> | undefined
  #pruning: Promise<PruneResult> | undefined
  /** The share of a touch's ttl a lazy touch may skip (see `#touched`), from fixed options. */
  readonly #lazyShare: number
  /**
   * Every update tells the backend the store's clock; a touch also accepts a recent copy; a
   * `set`'s value replaces the stored one whatever it is.
   */
  readonly #updates: UpdateOptions
  readonly #touches: UpdateOptions
  readonly #sets: UpdateOptions

  constructor(options: SessionStoreOptions<D>) {
    super()
    this.options = Object.freeze(resolveOptions(options))
    const { touchAfter, maxAge } = this.options
    this.#lazyShare = Math.min(MAX_LAZY_SHARE, Math.max(touchAfter / maxAge, MIN_LAZY_SHARE))
    const now = (): number => this.#now()
    this.#updates = Object.freeze({ now })
    this.#touches = Object.freeze({ now, recentMs: TOUCH_RECENT_MS })
    this.#sets = Object.freeze({ now, blind: true })
    const shared = {
      sync: this.options.durability === 'strict',
      cacheSize: this.options.cacheSize,
      cacheBytes: this.options.cacheBytes,
      text: this.options.codec.binary !== true,
    }
    this.backend =
      options.backend ??
      (options.path !== undefined
        ? levelBackendForPath(options.path, shared)
        : levelBackendForDb(options.db as AnyLevel, shared))
    this.#cleaner = new Cleaner(this.options.cleanupInterval, (signal) => this.#prune(signal))
    this.#ready = this.backend.open().then(
      () => {
        this.#open = true
        if (this.#closing !== undefined) return
        this.#cleaner.start()
        this.emit('open')
      },
      (error: unknown) => {
        this.#report(error)
        throw error
      },
    )
    // Callers see the failure through each method; this keeps it from being unhandled.
    this.#ready.catch(() => undefined)
  }

  /** Resolves once storage is open; rejects with the typed open error. */
  ready(): Promise<void> {
    return this.#ready
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** The live session, or `undefined` (unknown, expired, invalid id or undecodable). */
  get(id: string): Promise<SessionRecord<D> | undefined> {
    const hit = this.#fromCache(id)
    if (hit !== undefined) return Promise.resolve(hit)
    return this.#op('get', () => this.#load(id))
  }

  /** `get` past the cache: one `then`, no async frame (a backend without a cache takes it). */
  #load(id: string): Promise<SessionRecord<D> | undefined> {
    if (!isValidSessionId(id)) return Promise.resolve(undefined)
    return this.backend.load(id).then(
      (stored) => {
        if (stored === undefined) return undefined
        const now = this.#now()
        if (!this.#isLive(stored, now)) return this.#expire(stored, now).then(() => undefined)
        return this.#decode(stored)
      },
      (error: unknown) => {
        if (error instanceof SessionDecodeError) return this.#report(error)
        throw error
      },
    )
  }

  /**
   * The live session when the answer needs no storage call (it is in the Level backend's cache
   * and the codec is synchronous), else `undefined`: then call `get()`, which also answers for
   * sessions that are not cached. For adapters' hot paths: a hit costs no promise.
   */
  peek(id: string): SessionRecord<D> | undefined {
    return this.#fromCache(id)
  }

  /**
   * Stores `data` under `id`. Sliding: the expiry moves to now + ttl. Fixed: a live session keeps
   * its `createdAt` and `expiresAt`; a missing or expired one starts again. Both stop at
   * `createdAt + maxLifetime`.
   */
  set(id: string, data: D, options?: SetOptions): Promise<SessionRecord<D>>
  set(id: string, data: D, options: SetIfExistsOptions): Promise<SessionRecord<D> | undefined>
  set(
    id: string,
    data: D,
    options: SetIfExistsOptions = {},
  ): Promise<SessionRecord<D> | undefined> {
    // Only with ifExists: whether the last run of the mutation found no live session.
    const skip = options.ifExists === true ? { skipped: false } : undefined
    return this.#op(
      'set',
      () => {
        if (!isValidSessionId(id)) throw new SessionIdError(id)
        const ttl = ttlOption(options.ttl, this.options.maxAge)
        const userId = this.#userIdOf(data)
        const encoded = encodeValue(this.options.codec, id, data, this.options.maxSessionBytes)
        return encoded instanceof Promise
          ? encoded.then((e) => this.#write(id, e, ttl, userId, skip))
          : this.#write(id, encoded, ttl, userId, skip)
      },
      // In #op's own `then`: one promise hop less on every write.
      (stored) => (skip?.skipped === true ? undefined : record(stored!, data)),
    )
  }

  /** With `skip`, writes only over a live session, and says in `skip` when there was none. */
  #write(
    id: string,
    encoded: Encoded,
    ttl: number,
    userId: string | undefined,
    skip: { skipped: boolean } | undefined,
  ): Promise<StoredSession | undefined> {
    return this.backend.update(
      id,
      (current) => {
        // Read the clock under the id's lock: a long wait must not shorten the new lifetime.
        const now = this.#now()
        const live = current !== undefined && this.#isLive(current, now) ? current : undefined
        if (skip !== undefined) {
          // A backend may retry mutate (optimistic concurrency): only the last call counts.
          skip.skipped = live === undefined
          if (skip.skipped) return undefined
        }
        const createdAt = live?.createdAt ?? now
        const expiresAt =
          live !== undefined && this.options.expiry === 'fixed'
            ? live.expiresAt
            : this.#expiresAt(createdAt, now, ttl)
        return toStored(id, encoded, createdAt, expiresAt, userId)
      },
      this.#sets,
    )
  }

  /**
   * Keeps a session alive without rewriting its data. Sliding: moves the expiry to now + ttl
   * (skipped while it would move less than `touchAfter`); fixed: changes nothing. Resolves to
   * whether the session is live.
   */
  touch(id: string, options: TouchOptions<D> = {}): Promise<boolean> {
    return this.#op('touch', () => {
      if (!isValidSessionId(id)) return Promise.resolve(false)
      const ttl = ttlOption(options.ttl, this.options.maxAge)
      const { patch } = options
      if (patch !== undefined && typeof patch !== 'function') {
        throw new TypeError('options.patch must be a function')
      }
      let live = false
      let expired: StoredSession | undefined
      const touching = this.backend.update(
        id,
        (current) => {
          // A backend may retry mutate (optimistic concurrency): only the last call counts.
          live = false
          expired = undefined
          // Read the clock under the id's lock: a long wait must not shorten the new lifetime.
          const now = this.#now()
          if (current === undefined) return undefined
          if (!this.#isLive(current, now)) {
            expired = current
            return null
          }
          live = true
          const expiresAt =
            this.options.expiry === 'fixed'
              ? current.expiresAt
              : this.#expiresAt(current.createdAt, now, ttl)
          // Without a patch the mutation stays synchronous: no promise on the common path.
          if (patch === undefined) return this.#touched(current, undefined, expiresAt, ttl)
          return this.#patch(current, patch).then((changed) =>
            this.#touched(current, changed, expiresAt, ttl),
          )
        },
        this.#touches,
      )
      // `then`, not an async function: one promise hop on every request's touch.
      return touching.then(() => {
        if (expired !== undefined) this.#emitExpired(expired, 'read')
        return live
      })
    })
  }

  /** The session a touch writes, or `undefined` when nothing needs writing. */
  #touched(
    current: StoredSession,
    changed: Patched | undefined,
    expiresAt: number,
    ttl: number,
  ): StoredSession | undefined {
    const moved = expiresAt - current.expiresAt
    // Lazy touch skips a small move: below touchAfter, and below a share of this touch's ttl (a
    // cookie's own may be far shorter than maxAge), touchAfter's share of maxAge but at least a
    // tenth and at most half. The expiry then never lags by more than that share of the ttl, so
    // a user active more often than half the ttl stays signed in, and a 30-minute cookie on the
    // default store still writes once a minute. A move back as small is skipped too: an expiry a
    // little earlier than the stored one was computed before the stored one but arrived after it
    // (express-session sets a cookie's expiry when the response starts, and responses of one
    // session can end in either order), or on a host whose clock is behind; the later expiry is
    // the one the session's activity earned. A shorter lifetime moves it further back, written.
    const lazy = Math.abs(moved) < Math.min(this.options.touchAfter, ttl * this.#lazyShare)
    if (changed === undefined) {
      if (moved === 0 || lazy) return undefined
      return toStored(current.id, current, current.createdAt, expiresAt, current.userId)
    }
    return toStored(current.id, changed.encoded, current.createdAt, expiresAt, changed.userId)
  }

  /** Applies a touch's patch to the stored data; `undefined` when the data stays as it is. */
  async #patch(
    current: StoredSession,
    patch: NonNullable<TouchOptions<D>['patch']>,
  ): Promise<Patched | undefined> {
    const { codec, maxSessionBytes } = this.options
    const next = await patch(await decodeValue(codec, current))
    if (next === undefined) return undefined
    const userId = this.#userIdOf(next)
    return { encoded: await encodeValue(codec, current.id, next, maxSessionBytes), userId }
  }

  /**
   * Removes a session; idempotent. Resolves to whether a live session was removed: an expired one
   * the cleaner has not swept yet is removed too, and counts as none (as in `destroyUser`), so a
   * caller can tell "signed out just now" from "already gone".
   */
  destroy(id: string): Promise<boolean> {
    return this.#op('destroy', async () => {
      if (!isValidSessionId(id)) return false
      const removed = await this.backend.delete(id)
      return removed !== undefined && this.#isLive(removed, this.#now())
    })
  }

  /** Removes every session of a user except those in `except`; resolves to how many live ones. */
  destroyUser(userId: string | number, options: DestroyUserOptions = {}): Promise<number> {
    return this.#op('destroyUser', async () => {
      this.#requireUserIndex('destroyUser')
      const user = checkUserId(userId)
      const except = exceptSet(options.except)
      const seen = new Set(except)
      let removed = 0
      // Listed again after each pass: a session regenerated meanwhile (written under a new id,
      // then its listed id deleted) is in the next listing. Bounded, against a client that keeps
      // regenerating.
      for (let pass = 0; pass < USER_PASSES; pass++) {
        const ids = (await this.#userIds(user)).filter((id) => !seen.has(id))
        if (ids.length === 0) break
        for (const id of ids) seen.add(id)
        // A chunk at a time, yielding between chunks: a user with 50,000 sessions must not hold
        // the event loop (and 50,000 updates' memory) at once.
        for (let at = 0; at < ids.length; at += USER_CHUNK) {
          if (at > 0 || pass > 0) await yieldToLoop()
          const chunk = ids.slice(at, at + USER_CHUNK)
          const live = await Promise.all(chunk.map((id) => this.#destroyOwned(id, user)))
          removed += live.filter(Boolean).length
        }
      }
      return removed
    })
  }

  async #userIds(user: string): Promise<string[]> {
    return this.backend.listUserIds === undefined
      ? (await this.backend.listUser(user)).map((s) => s.id)
      : this.backend.listUserIds(user)
  }

  /** Deletes `id` while it still belongs to `user` (it may have changed owner); resolves to whether it was live. */
  async #destroyOwned(id: string, user: string): Promise<boolean> {
    let live = false
    await this.backend.update(
      id,
      (current) => {
        const owned = current?.userId === user
        live = owned && this.#isLive(current, this.#now())
        return owned ? null : undefined
      },
      this.#updates,
    )
    return live
  }

  /** The user's live sessions, oldest first. */
  listUser(userId: string | number): Promise<SessionRecord<D>[]> {
    return this.#op('listUser', async () => {
      this.#requireUserIndex('listUser')
      const user = checkUserId(userId)
      const now = this.#now()
      const sessions = (await this.backend.listUser(user)).filter((s) => this.#isLive(s, now))
      const records: SessionRecord<D>[] = []
      for (let at = 0; at < sessions.length; at += USER_CHUNK) {
        if (at > 0) await yieldToLoop()
        const chunk = sessions.slice(at, at + USER_CHUNK)
        for (const record of await Promise.all(chunk.map(async (s) => this.#decode(s)))) {
          if (record !== undefined) records.push(record)
        }
      }
      return records.sort((a, b) => a.createdAt - b.createdAt)
    })
  }

  /** Every live session. Break out of the loop freely: the cursor is always released. */
  async *entries(): AsyncGenerator<SessionRecord<D>, void, undefined> {
    await this.#op('entries', () => Promise.resolve())
    const now = this.#now()
    const iterator = this.backend.entries()[Symbol.asyncIterator]()
    try {
      for (;;) {
        let step: IteratorResult<StoredSession>
        try {
          step = await iterator.next()
        } catch (error) {
          if (this.#closing !== undefined) throw new SessionStoreClosedError()
          throw error instanceof SessionError ? error : new SessionStoreIOError('entries', error)
        }
        if (step.done === true) return
        if (this.#closing !== undefined) throw new SessionStoreClosedError()
        if (!this.#isLive(step.value, now)) continue
        const found = await this.#decode(step.value)
        if (found !== undefined) yield found
      }
    } finally {
      await iterator.return?.()
    }
  }

  /** Number of live sessions. */
  count(): Promise<number> {
    return this.#op('count', () => this.backend.count(this.#now()))
  }

  /** Removes every session. */
  clear(): Promise<void> {
    return this.#op('clear', () => this.backend.clear())
  }

  /** Removes expired sessions now (the cleaner does this on its schedule). */
  prune(options: PruneOptions = {}): Promise<PruneResult> {
    return this.#op('prune', async () => {
      // A caller that wants progress gets its own sweep, after the one already running.
      if (options.onProgress !== undefined) await this.#pruning?.catch(() => undefined)
      return this.#prune(undefined, options.onProgress)
    })
  }

  /**
   * Writes a session with the times it already has, as from a backup; the user id comes from
   * the snapshot. Resolves to false, writing nothing, when it has already expired.
   */
  restore(snapshot: SessionSnapshot<D>): Promise<boolean> {
    return this.#op('restore', async () => {
      const { id, data, createdAt, expiresAt } = checkSnapshot(snapshot)
      const userId = snapshot.userId === undefined ? undefined : checkUserId(snapshot.userId)
      const now = this.#now()
      // Otherwise the expiry, capped below, would come before it.
      if (createdAt > now + MAX_TTL) {
        throw new RangeError('restore: snapshot.createdAt is further ahead than the longest ttl')
      }
      // The store's own limits apply to restored sessions too.
      const { maxLifetime } = this.options
      const capped = Math.min(
        expiresAt,
        now + MAX_TTL,
        maxLifetime === undefined ? Infinity : createdAt + maxLifetime,
      )
      if (!this.#isLive({ createdAt, expiresAt: capped }, now)) return false
      const encoded = await encodeValue(this.options.codec, id, data, this.options.maxSessionBytes)
      await this.backend.update(
        id,
        () => toStored(id, encoded, createdAt, capped, userId),
        this.#updates,
      )
      return true
    })
  }

  /** Counts for operators: live and expired-but-unswept sessions, expiry range, users. */
  stats(): Promise<StoreStats> {
    return this.#op('stats', async () => {
      const now = this.#now()
      if (this.backend.stats !== undefined) {
        const stats = await this.backend.stats(now)
        return { ...stats, schemaVersion: stats.schemaVersion }
      }
      const counts = await statsFromSessions(this.backend.entries(), (s) => this.#isLive(s, now))
      return { ...counts, schemaVersion: undefined }
    })
  }

  /** Reclaims disk space left by deletions, where the backend can (LevelDB compaction). */
  compact(): Promise<void> {
    return this.#op('compact', async () => {
      await this.backend.compact?.()
    })
  }

  /** Stops the cleaner, waits for calls in flight, releases storage. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#cleaner.stop()
      if (this.#pending > 0) await new Promise<void>((resolve) => (this.#drained = resolve))
      await this.#ready.catch(() => undefined)
      try {
        await this.backend.close()
      } finally {
        this.emit('close')
      }
    })()
    return this.#closing
  }

  /**
   * Runs a call: rejects after close, waits for open, wraps storage failures, counts it. Once
   * open, no async frame: this wraps every call.
   */
  #op<T, R = T>(name: string, task: () => Promise<T>, map?: (value: T) => R): Promise<R> {
    if (this.#closing !== undefined) return Promise.reject(new SessionStoreClosedError())
    this.#pending++
    return runFinally(
      this.#open ? task : () => this.#ready.then(task),
      () => this.#done(),
      (error) => asCallError(name, error),
      map,
    )
  }

  #done(): void {
    if (--this.#pending === 0) this.#drained?.()
  }

  #prune(signal?: AbortSignal, onProgress?: PruneOptions['onProgress']): Promise<PruneResult> {
    this.#pruning ??= (async () => {
      const started = performance.now()
      let progress = 0
      try {
        const { scanned, deleted } = await this.backend.sweep({
          now: this.#now(),
          ...(signal === undefined ? {} : { signal }),
          onDeleted: (count) => {
            progress += count
            onProgress?.({ deleted: progress })
          },
          // Whole sessions only for listeners: without them the backend may skip reading them.
          ...(this.listenerCount('expired') === 0
            ? {}
            : { onExpired: (removed) => removed.forEach((s) => this.#emitExpired(s, 'prune')) }),
        })
        const result = { scanned, deleted, durationMs: performance.now() - started }
        this.emit('prune', result)
        return result
      } catch (error) {
        const wrapped =
          error instanceof SessionError ? error : new SessionStoreIOError('prune', error)
        this.#report(wrapped)
        throw wrapped
      } finally {
        this.#pruning = undefined
      }
    })()
    return this.#pruning
  }

  async #expire(stored: StoredSession, now: number): Promise<void> {
    try {
      let deleted = false
      await this.backend.update(
        stored.id,
        (current) => {
          deleted = current !== undefined && !this.#isLive(current, now)
          return deleted ? null : undefined
        },
        this.#updates,
      )
      // Concurrent readers of one expired session: only the one that deleted it reports it.
      if (deleted) this.#emitExpired(stored, 'read')
    } catch (error) {
      // The read already answers "no session"; the cleaner retries the delete.
      this.#report(new SessionStoreIOError('delete of an expired session', error))
    }
  }

  /**
   * The hot path: a live session in the backend's cache, decoded by a synchronous codec, costs
   * no storage call and no promise chain. Anything else (a miss, an expired session, an async
   * codec, a decode failure) takes the full path.
   */
  #fromCache(id: string): SessionRecord<D> | undefined {
    if (!this.#open || this.#closing !== undefined || this.backend.peek === undefined)
      return undefined
    if (!isValidSessionId(id)) return undefined
    const stored = this.backend.peek(id)
    if (stored === undefined || !this.#isLive(stored, this.#now())) return undefined
    try {
      const data = decodeValue(this.options.codec, stored)
      return data instanceof Promise
        ? (data.catch(() => undefined), undefined)
        : record(stored, data)
    } catch {
      return undefined
    }
  }

  /** The session's record, synchronously when the codec is; a decode failure is reported. */
  #decode(
    stored: StoredSession,
  ): SessionRecord<D> | undefined | Promise<SessionRecord<D> | undefined> {
    let data: D | Promise<D>
    try {
      data = decodeValue(this.options.codec, stored)
    } catch (error) {
      return this.#report(error)
    }
    if (!(data instanceof Promise)) return record(stored, data)
    return data.then(
      (decoded) => record(stored, decoded),
      (error: unknown) => this.#report(error),
    )
  }

  #isLive(s: Pick<StoredSession, 'createdAt' | 'expiresAt'>, now: number): boolean {
    const { maxLifetime } = this.options
    return s.expiresAt > now && (maxLifetime === undefined || s.createdAt + maxLifetime > now)
  }

  #expiresAt(createdAt: number, now: number, ttl: number): number {
    const { maxLifetime } = this.options
    const idle = now + ttl
    return maxLifetime === undefined ? idle : Math.min(idle, createdAt + maxLifetime)
  }

  #now(): number {
    return Math.floor(this.options.now())
  }

  #userIdOf(data: D): string | undefined {
    if (this.options.userId === undefined) return undefined
    const value = this.options.userId(data)
    if (value === undefined || value === null) return undefined
    return checkUserId(value)
  }

  #emitExpired(s: StoredSession, reason: 'read' | 'prune'): void {
    if (this.listenerCount('expired') === 0) return
    this.emit('expired', {
      id: s.id,
      expiresAt: s.expiresAt,
      reason,
      ...(s.userId === undefined ? {} : { userId: s.userId }),
    })
  }

  /**
   * Without a `userId` option no write records an owner, so "sign this user out everywhere" would
   * quietly find nothing: a misconfiguration that must not pass for success. (A store that only
   * reads owners as stored, such as the CLI's, passes an extractor that returns none.)
   */
  #requireUserIndex(method: string): void {
    if (this.options.userId === undefined) {
      throw new TypeError(
        `${method} needs the userId option, which tells the store whose session each one is: ` +
          'createSessionStore({ userId: (data) => data.userId, ... })',
      )
    }
  }

  /** Emits `error` only while someone listens: an unheard `error` event would crash the process. */
  #report(error: unknown): undefined {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error instanceof Error ? error : new Error(String(error)))
    }
    return undefined
  }
}

/** Creates a session store; see `SessionStoreOptions`. */
export function createSessionStore<D = SessionData>(
  options: SessionStoreOptions<D>,
): SessionStore<D> {
  return new SessionStore<D>(options)
}

/**
 * A touch that writes nothing may be answered from the copy of the session its backend confirmed
 * within this long (typically by the same request's `get`): a touch's answer is "was it live",
 * and a session deleted elsewhere that recently is still gone for the next request. Saves a
 * round trip per request on Redis.
 */
const TOUCH_RECENT_MS = 1000

/** Sessions `destroyUser` deletes, and `listUser` decodes, between two turns of the event loop. */
const USER_CHUNK = 256
/** Listings of a user's sessions one `destroyUser` works through at most. */
const USER_PASSES = 8

/**
 * The share of a touch's ttl that a lazy touch may skip (see `#touched`): at least a tenth, and
 * never more than half, so that a user active more often than half the ttl stays signed in.
 */
const MIN_LAZY_SHARE = 0.1
const MAX_LAZY_SHARE = 0.5

/** A call's failure as callers see it: argument and session errors as they are, the rest as I/O. */
function asCallError(name: string, error: unknown): Error {
  if (error instanceof SessionError || error instanceof TypeError || error instanceof RangeError) {
    return error
  }
  return new SessionStoreIOError(name, error)
}

/** What a touch's patch produced: the encoded data and its user id. */
interface Patched {
  encoded: Encoded
  userId: string | undefined
}

/** A session to store: text when the text is exactly its bytes, with the text hint otherwise. */
function toStored(
  id: string,
  encoded: Encoded,
  createdAt: number,
  expiresAt: number,
  userId: string | undefined,
): StoredSession {
  const text = exactText(encoded)
  if (text !== undefined) return new TextSession(id, text, createdAt, expiresAt, userId)
  const out: { -readonly [K in keyof StoredSession]: StoredSession[K] } = {
    id,
    value: encoded.value,
    createdAt,
    expiresAt,
  }
  if (encoded.text !== undefined) out.text = encoded.text
  if (userId !== undefined) out.userId = userId
  return out
}

function record<D>(s: StoredSession, data: D): SessionRecord<D> {
  const out: { -readonly [K in keyof SessionRecord<D>]: SessionRecord<D>[K] } = {
    id: s.id,
    data,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
  }
  if (s.userId !== undefined) out.userId = s.userId
  return out
}

/** A user id as the index stores it: finite numbers become strings. */
function checkUserId(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_ID_LENGTH ||
    value.includes('\u0000') ||
    !value.isWellFormed()
  ) {
    throw new SessionUserIdError(value)
  }
  return value
}

function checkSnapshot<D>(snapshot: SessionSnapshot<D>): SessionSnapshot<D> {
  if (snapshot === null || typeof snapshot !== 'object') {
    throw new TypeError('restore: the snapshot must be an object')
  }
  if (!isValidSessionId(snapshot.id)) throw new SessionIdError(snapshot.id)
  for (const key of ['createdAt', 'expiresAt'] as const) {
    if (!Number.isSafeInteger(snapshot[key]) || snapshot[key] < 0) {
      throw new TypeError(`restore: snapshot.${key} must be epoch milliseconds`)
    }
  }
  if (snapshot.createdAt > snapshot.expiresAt) {
    throw new RangeError('restore: snapshot.createdAt is after snapshot.expiresAt')
  }
  return snapshot
}

function exceptSet(except: DestroyUserOptions['except']): Set<string> {
  if (except === undefined) return new Set()
  if (typeof except === 'string') return new Set([except])
  if (except === null || typeof except !== 'object' || !(Symbol.iterator in except)) {
    throw new TypeError('options.except must be a session id or an iterable of session ids')
  }
  return new Set(except)
}
