/**
 * @module
 * `LevelSessionStore`: koa-session's external-store API (and koa-generic-session's, a subset of
 * it) translated to a `@levelsession/core` store. Expiry, locking, indexes and cleanup live in
 * core; this file maps lifetimes to TTLs and passes sessions through unchanged.
 */
import {
  type DestroyUserOptions,
  resolveStore,
  type SessionStore,
  type StoreSource,
} from '@levelsession/core'
import { ttlFromMaxAge } from './ttl.js'
import type { DestroyOptions, GetOptions, SetOptions, StoredSession } from './types.js'

/**
 * Core options (`path`, `maxAge`, `expiry`, `maxLifetime`, `cleanupInterval`, `userId`, `codec`,
 * `durability`, ...), or `{ store }` to share a store made with `createSessionStore`.
 */
export type LevelSessionStoreOptions<T extends StoredSession = StoredSession> = StoreSource<T>

/**
 * A koa-session external store (and a koa-generic-session store) whose sessions live in an
 * embedded LevelDB database.
 *
 * - `set` stores the object koa-session gives it, with its `_expire`, `_maxAge` and `_session`
 *   fields, for koa-session's `maxAge` (which includes koa-session's 10 s margin); a browser-session
 *   cookie (`'session'`) or no lifetime gets the store's `maxAge`. It always writes: koa-session's
 *   `changed: false` also marks regenerate, rolling and renew saves.
 * - `get` returns the object as stored, or `null` when it is unknown, expired or the key is not a
 *   valid id. It does not extend the session: koa-session decides when to save (`rolling`, `renew`).
 * - `destroy` is idempotent.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import session from 'koa-session'
 * import { LevelSessionStore } from '@levelsession/koa'
 *
 * const app = new Koa()
 * app.keys = [process.env.SESSION_SECRET!]
 * const store = new LevelSessionStore({ path: './data/sessions' })
 * app.use(session({ store, maxAge: 86_400_000, renew: true }, app))
 * ```
 */
export class LevelSessionStore<T extends StoredSession = StoredSession> {
  /** The core store underneath: `listUser`, `prune`, `count`, and its events (`error`, `expired`). */
  readonly core: SessionStore<T>
  readonly #owned: boolean
  #closing: Promise<void> | undefined
  /** The key each request's session was loaded under (koa-session passes `ctx` to both calls). */
  readonly #loaded = new WeakMap<object, string>()

  /**
   * @param options - core options such as `{ path: './data/sessions' }`, or `{ store }`
   * @throws TypeError or RangeError naming the invalid option, before any request
   */
  constructor(options: LevelSessionStoreOptions<T>) {
    const { store, owned } = resolveStore(options, 'LevelSessionStore')
    this.core = store
    this.#owned = owned
  }

  /** Resolves once the database is open; rejects with its typed error (e.g. `ERR_STORE_LOCKED`). */
  ready(): Promise<void> {
    return this.core.ready()
  }

  /**
   * The stored session, or `null`.
   *
   * @param key - koa-session's external key (koa-generic-session's prefixed sid)
   * @param _maxAge - koa-session's configured `maxAge`; unused (reading never extends a session)
   * @param options - koa-session's `{ rolling, ctx }`: the request that loaded the session
   */
  async get(key: string, _maxAge?: number | 'session', options?: GetOptions): Promise<T | null> {
    const record = await this.core.get(key)
    if (record === undefined) return null
    const { data } = record as { data: unknown }
    // Anything else cannot be a koa session (e.g. a record written by another adapter).
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return null
    const ctx = options?.ctx
    if (ctx !== null && typeof ctx === 'object') this.#loaded.set(ctx, key)
    return data as T
  }

  /**
   * Stores `sess` under `key`, replacing what was there.
   *
   * @param maxAge - lifetime in ms; `'session'` or `undefined` means the store's `maxAge`; zero or
   *   less deletes the session instead
   * @param options - koa-session's `{ rolling, changed, ctx }`: a session that `ctx` loaded under
   *   `key` is written only while it still exists (deleted meanwhile, it stays deleted); `changed`
   *   is ignored (never skips a write)
   * @throws TypeError when `sess` is not an object or `maxAge` has another type; core's typed
   *   errors (`ERR_SESSION_ID`, `ERR_SESSION_TOO_LARGE`, `ERR_STORE_IO`, ...)
   */
  async set(
    key: string,
    sess: T,
    maxAge?: number | 'session' | null,
    options?: SetOptions,
  ): Promise<void> {
    if (sess === null || typeof sess !== 'object' || Array.isArray(sess)) {
      throw new TypeError(`LevelSessionStore.set: sess must be an object, got ${typeof sess}`)
    }
    const lifetime = ttlFromMaxAge(withoutMargin(maxAge, sess))
    if (lifetime.expired) {
      await this.core.destroy(key)
      return
    }
    const ctx = options?.ctx
    const request = ctx !== null && typeof ctx === 'object' ? ctx : undefined
    // The session this request loaded is written only over a live one: deleted meanwhile, it
    // stays deleted.
    const ifExists = request !== undefined && this.#loaded.get(request) === key
    const written = await this.core.set(key, sess, {
      ...(lifetime.ttl === undefined ? {} : { ttl: lifetime.ttl }),
      ifExists,
    })
    // Later saves of this request hold this key as if loaded: regenerate() saves under a new key
    // at once, and a change after it must not bring back that key if it was signed out meanwhile.
    if (request !== undefined && written !== undefined) this.#loaded.set(request, key)
  }

  /**
   * Removes the session under `key`; idempotent (a key never written is fine). When it was the
   * session `ctx` loaded and it is already gone (signed out everywhere meanwhile), the request's
   * session is emptied: koa-session's `regenerate` would otherwise carry the deleted session's
   * data to a new key. What the handler sets afterwards (a sign-in) is saved as usual.
   */
  async destroy(key: string, options?: DestroyOptions): Promise<void> {
    const existed = await this.core.destroy(key)
    const ctx = options?.ctx
    if (!existed && ctx !== null && typeof ctx === 'object' && this.#loaded.get(ctx) === key) {
      emptySession((ctx as { session?: unknown }).session)
    }
  }

  /**
   * Signs a user out everywhere: removes every session whose `userId` (from the `userId` option)
   * is `userId`, except those in `options.except` (e.g. `ctx.session.externalKey`, to keep this
   * browser). Resolves to the number of live sessions removed.
   */
  destroyUser(userId: string | number, options?: DestroyUserOptions): Promise<number> {
    return this.core.destroyUser(userId, options)
  }

  /**
   * Stops using the database. Closes the core store when this adapter created it (from options);
   * a store passed as `{ store }` stays open for its owner to close. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#owned ? this.core.close() : Promise.resolve()
    return this.#closing
  }
}

/** The 10 s koa-session adds to its `maxAge` when it writes to a store. */
const KOA_SESSION_MARGIN = 10_000

/**
 * The session's own lifetime when koa-session passed it with its margin ("ensure store expired
 * after cookie"): this store's expiry is exact and koa-session checks its `_expire` as well, so
 * the margin only lengthened sessions, by 10 s past a fixed expiry or `maxLifetime` cap.
 */
function withoutMargin(maxAge: unknown, sess: object): unknown {
  const own = (sess as { _maxAge?: unknown })._maxAge
  return typeof maxAge === 'number' &&
    typeof own === 'number' &&
    maxAge === own + KOA_SESSION_MARGIN
    ? own
    : maxAge
}

/** Deletes the data fields of koa-session's `Session` (those its `toJSON` gives), in place. */
function emptySession(session: unknown): void {
  if (session === null || typeof session !== 'object') return
  const { toJSON } = session as { toJSON?: unknown }
  if (typeof toJSON !== 'function') return
  const fields = toJSON.call(session) as Record<string, unknown>
  for (const field of Object.keys(fields)) delete (session as Record<string, unknown>)[field]
}
