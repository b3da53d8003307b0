/**
 * @module
 * `LevelSessionStore`: express-session's `Store` API translated to a `@levelsession/core` store.
 * Expiry, locking, indexes and cleanup all live in core; this file maps cookies to TTLs, keeps
 * express-session's cookie shape in the stored data, and turns promises into callbacks.
 */
import session, { type SessionData } from 'express-session'
import {
  type CookieLifetime,
  type DestroyUserOptions,
  jsonCodec,
  resolveStore,
  type SessionRecord,
  type SessionStore,
  type StoreSource,
  systemClock,
  ttlFromCookie,
} from '@levelsession/core'
import { cookieToStore, expiresAsJSON, isObject, sameCookie } from './cookie.js'
import { isoDate } from './iso-date.js'
import { later } from './later.js'

/**
 * Core options (`path`, `maxAge`, `expiry`, `maxLifetime`, `touchAfter`, `cleanupInterval`,
 * `userId`, `codec`, `durability`, ...), or `{ store }` to share a store made with
 * `createSessionStore`.
 */
export type LevelSessionStoreOptions<T extends SessionData = SessionData> = StoreSource<T>

/** Node-style callback: called exactly once, asynchronously. */
export type Callback<R = void> = (err: unknown, result?: R) => void

/**
 * An express-session store whose sessions live in an embedded LevelDB database.
 *
 * Every method takes an optional Node-style callback, called exactly once and asynchronously;
 * without one it returns a promise. The session's TTL comes from its cookie (`expires`, else
 * `originalMaxAge`); a browser-session cookie gets the store's `maxAge`; a cookie that has
 * already expired destroys the session.
 *
 * @example
 * ```ts
 * import session from 'express-session'
 * import { LevelSessionStore } from '@levelsession/express'
 *
 * app.use(session({
 *   store: new LevelSessionStore({ path: './data/sessions' }),
 *   secret: process.env.SESSION_SECRET!,
 *   resave: false,
 *   saveUninitialized: false,
 * }))
 * ```
 */
export class LevelSessionStore<T extends SessionData = SessionData> extends session.Store {
  /** The core store underneath: `listUser`, `prune`, and the `expired`/`prune` events. */
  readonly core: SessionStore<T>
  readonly #owned: boolean
  #closing: Promise<void> | undefined
  /**
   * Key of the cookie a request's session was loaded with (see createSession and touch): a
   * non-enumerable property of that session object, which JSON, spreads and `for...in` skip.
   * Not a WeakMap: its entry cost about 1 µs per request, most of it in garbage collection.
   */
  readonly #loaded = Symbol('levelsession loaded cookie')
  /** The loaded cookie of session objects that take no property (see createSession). */
  #unmarked: WeakMap<object, unknown> | undefined

  /** Passes core's failures (e.g. a cleaner run) on, only while someone listens here. */
  readonly #forwardError = (error: Error): void => {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }

  /**
   * @param options - core options such as `{ path: './data/sessions' }`, or `{ store }`
   * @throws TypeError or RangeError for invalid options, before any request
   */
  constructor(options: LevelSessionStoreOptions<T>) {
    super()
    const { store, owned } = resolveStore(options, 'LevelSessionStore')
    this.core = store
    this.#owned = owned
    // Each adapter on a shared store adds one listener: raise the limit with it, so that many
    // routers sharing a store are no MaxListenersExceededWarning (close() lowers it again).
    const max = store.getMaxListeners()
    if (max > 0) store.setMaxListeners(max + 1) // 0 means no limit
    store.on('error', this.#forwardError)
  }

  /* eslint-disable @typescript-eslint/no-misused-promises -- the documented dual API: given no
     callback, each method returns a promise; express-session always passes one. */

  /** Resolves once the database is open; rejects with its typed error (e.g. `ERR_STORE_LOCKED`). */
  ready(): Promise<void>
  ready(callback: Callback): void
  ready(callback?: Callback): Promise<void> | void {
    return settle(this.core.ready(), callback)
  }

  /** The live session, or `null` (unknown, expired, invalid id, or not an express session). */
  override get(sid: string): Promise<T | null>
  override get(sid: string, callback: Callback<T | null>): void
  override get(sid: string, callback?: Callback<T | null>): Promise<T | null> | void {
    // A cached session answers without a promise (express-session always passes a callback),
    // on the next turn of the event loop (see later.ts for why).
    const hit = typeof callback === 'function' ? this.core.peek(sid) : undefined
    if (hit !== undefined) {
      later(callback!, this.#toSession(hit))
      return
    }
    return settle(this.core.get(sid), callback, (record) =>
      record === undefined ? null : this.#toSession(record),
    )
  }

  /** Stores the session with its cookie's TTL; a cookie already expired destroys it instead. */
  override set(sid: string, session: T): Promise<void>
  override set(sid: string, session: T, callback: Callback): void
  override set(sid: string, session: T, callback?: Callback): Promise<void> | void {
    return settle(
      attempt(() => this.#set(sid, session)),
      callback,
      toVoid,
    )
  }

  /** The core call a `set` makes (no async frame: the adapter adds no promise hop of its own). */
  #set(sid: string, session: T): Promise<unknown> {
    // Every codec gets the cookie's fields as a plain object (the shape `toJSON()` gives); JSON
    // gets `expires` as its text already (see expiresAsJSON), the same JSON a Date would give.
    const cookie = cookieToStore(session.cookie)
    const lifetime = ttlFromCookie(lifetimeOf(cookie))
    if (lifetime.expired) return this.core.destroy(sid)
    if (this.core.options.codec === jsonCodec) expiresAsJSON(cookie)
    // A session this request loaded is written only while it still exists: deleted meanwhile
    // (signed out everywhere), it must not come back. New and regenerated sessions are created.
    const loaded = this.#loadedCookie(session) !== undefined
    return this.core.set(
      sid,
      { ...session, cookie },
      {
        ttl: lifetime.ttl,
        ifExists: loaded,
      },
    )
  }

  /**
   * express-session turns what `get` returned into `req.session` here. The loaded cookie is
   * remembered so that `touch` can tell, without reading the stored session again, whether the
   * request changed it.
   */
  override createSession(
    req: Parameters<session.Store['createSession']>[0],
    data: SessionData,
  ): ReturnType<session.Store['createSession']> {
    const loaded: unknown = data.cookie
    const created = super.createSession(req, data)
    try {
      Object.defineProperty(created, this.#loaded, { value: loaded })
    } catch {
      // A session object that takes no property (non-extensible, or a Proxy that refuses it):
      // remembered aside, so its set still writes only over a live session.
      ;(this.#unmarked ??= new WeakMap()).set(created, loaded)
    }
    return created
  }

  /**
   * The cookie `session` was loaded with (always an object: `get` answers only sessions with
   * one), or `undefined` when this store did not load it (a new or regenerated session).
   */
  #loadedCookie(session: object): unknown {
    return Object.hasOwn(session, this.#loaded)
      ? (session as Record<symbol, unknown>)[this.#loaded]
      : this.#unmarked?.get(session)
  }

  /**
   * Keeps a session alive: stores its cookie (so a per-session `cookie.maxAge` change survives)
   * and moves its expiry, without writing the request's copy of the data over the stored one.
   * Never recreates a session that is gone.
   */
  override touch(sid: string, session: T): Promise<void>
  override touch(sid: string, session: T, callback: Callback): void
  override touch(sid: string, session: T, callback?: Callback): Promise<void> | void {
    return settle(
      attempt(() => this.#touch(sid, session)),
      callback,
      toVoid,
    )
  }

  /** The core call a `touch` makes. */
  #touch(sid: string, session: T): Promise<unknown> {
    const cookie = cookieToStore(session.cookie)
    const lifetime = ttlFromCookie(lifetimeOf(cookie))
    if (lifetime.expired) return this.core.destroy(sid)
    // The cookie this request loaded, unchanged: nothing to store but the expiry, so the stored
    // session need not be read and decoded (a concurrent change to it is kept either way).
    if (sameCookie(this.#loadedCookie(session), cookie)) {
      return this.core.touch(sid, { ttl: lifetime.ttl })
    }
    const json = this.core.options.codec === jsonCodec
    return this.core.touch(sid, {
      ttl: lifetime.ttl,
      patch: (stored) =>
        !isObject(stored) || sameCookie(stored.cookie, cookie)
          ? undefined
          : { ...stored, cookie: json ? expiresAsJSON(cookie) : cookie },
    })
  }

  /** Removes a session; idempotent. */
  override destroy(sid: string): Promise<void>
  override destroy(sid: string, callback: Callback): void
  override destroy(sid: string, callback?: Callback): Promise<void> | void {
    return settle(this.core.destroy(sid), callback, toVoid)
  }

  /** Every live session, keyed by id (the shape of express-session's MemoryStore). */
  override all(): Promise<Record<string, T>>
  override all(callback: Callback<Record<string, T>>): void
  override all(callback?: Callback<Record<string, T>>): Promise<Record<string, T>> | void {
    return settle(this.#all(), callback)
  }

  async #all(): Promise<Record<string, T>> {
    const sessions = Object.create(null) as Record<string, T>
    for await (const record of this.core.entries()) {
      const found = this.#toSession(record)
      if (found !== null) sessions[record.id] = found
    }
    return sessions
  }

  /** The ids of every live session. */
  ids(): Promise<string[]>
  ids(callback: Callback<string[]>): void
  ids(callback?: Callback<string[]>): Promise<string[]> | void {
    return settle(
      this.#all().then((sessions) => Object.keys(sessions)),
      callback,
    )
  }

  /** The number of live sessions (read from the expiry index, without decoding any). */
  override length(): Promise<number>
  override length(callback: Callback<number>): void
  override length(callback?: Callback<number>): Promise<number> | void {
    return settle(this.core.count(), callback)
  }

  /** Removes every session. */
  override clear(): Promise<void>
  override clear(callback: Callback): void
  override clear(callback?: Callback): Promise<void> | void {
    return settle(this.core.clear(), callback)
  }

  /**
   * Logs a user out everywhere: removes every session whose `userId` (from the `userId` option)
   * is `userId`, except those in `options.except` (e.g. `req.sessionID`, to keep this browser).
   * Resolves to the number of live sessions removed.
   */
  destroyUser(userId: string | number, options?: DestroyUserOptions): Promise<number>
  destroyUser(userId: string | number, callback: Callback<number>): void
  destroyUser(
    userId: string | number,
    options: DestroyUserOptions | undefined,
    callback: Callback<number>,
  ): void
  destroyUser(
    userId: string | number,
    options?: DestroyUserOptions | Callback<number>,
    callback?: Callback<number>,
  ): Promise<number> | void {
    if (typeof options === 'function') return this.destroyUser(userId, undefined, options)
    return settle(this.core.destroyUser(userId, options), callback)
  }

  /**
   * Stops using the database. Closes the core store when this adapter created it (from options);
   * a store passed as `{ store }` stays open for its owner to close. Idempotent.
   */
  close(): Promise<void>
  close(callback: Callback): void
  close(callback?: Callback): Promise<void> | void {
    this.#closing ??= (async () => {
      this.core.off('error', this.#forwardError)
      const max = this.core.getMaxListeners()
      if (max > 1) this.core.setMaxListeners(max - 1)
      if (this.#owned) await this.core.close()
    })()
    return settle(this.#closing, callback)
  }
  /* eslint-enable @typescript-eslint/no-misused-promises */

  /**
   * The stored data as express-session loads it. `cookie.expires`, when the cookie has one, is
   * set from the store's expiry (the authority: it follows touches, `fixed` and `maxLifetime`).
   */
  #toSession(record: SessionRecord<T>): T | null {
    const data = record.data as unknown
    if (!isObject(data) || !isObject(data.cookie)) return null
    const { cookie } = data
    if (cookie.expires === null || cookie.expires === undefined) return data as T
    // The record's data is a fresh copy (every get decodes anew): set the field in place.
    // On the store's own clock (the default, systemClock) the expiry is already wall-clock time.
    const { now } = this.core.options
    cookie.expires = isoDate(
      now === systemClock ? record.expiresAt : Date.now() + record.expiresAt - now(),
    )
    return data as T
  }
}

/** express-session's cookie lifetime: `expires`, else `originalMaxAge` (ms). */
function lifetimeOf(cookie: Record<string, unknown>): CookieLifetime {
  const { expires, originalMaxAge } = cookie
  return {
    expires:
      expires instanceof Date || typeof expires === 'string' || typeof expires === 'number'
        ? expires
        : undefined,
    maxAge: typeof originalMaxAge === 'number' ? originalMaxAge : undefined,
  }
}

/**
 * With a callback: calls it exactly once, on a later tick, with `task`'s result passed through
 * `map`, and returns nothing. Without one: returns that promise, marked as handled so a caller
 * that drops it (express-session's `req.session.destroy()` without a callback does) cannot crash
 * the process. `map` runs in the same `then` as the callback: no promise hop of its own.
 */
function settle<T, R = T>(
  task: Promise<T>,
  callback: Callback<R> | undefined,
  map?: (result: T) => R,
): Promise<R> | void {
  if (callback === undefined || callback === null) {
    const mapped = map === undefined ? (task as unknown as Promise<R>) : task.then(map)
    mapped.catch(() => undefined)
    return mapped
  }
  if (typeof callback !== 'function') {
    task.catch(() => undefined)
    throw new TypeError(`callback must be a function, got ${typeof callback}`)
  }
  task.then(
    (result) => {
      let out: R
      try {
        out = map === undefined ? (result as unknown as R) : map(result)
      } catch (error) {
        process.nextTick(callback, error)
        return
      }
      process.nextTick(callback, null, out)
    },
    (error: unknown) => process.nextTick(callback, error),
  )
}

/** A call's promise, with a synchronous throw (a bad argument) turned into its rejection. */
function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call()
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown
    return Promise.reject(error)
  }
}

function toVoid(): void {
  return undefined
}
