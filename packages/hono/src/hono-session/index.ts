/**
 * @module
 * A storage for `@hono/session` (its `useSessionStorage`), backed by `@levelsession/core`: the
 * data of each `sid` in LevelDB, with a TTL from the same `duration` given to `useSession`.
 *
 * `@hono/session` calls `set` and `delete` without awaiting them. Used with `useSessionStorage`,
 * a failed write is passed to `onError` (by default logged), never left as an unhandled
 * rejection. Used with `useLevelSessionStorage` instead, every write is awaited before the
 * response goes out and a failure becomes the request's error (Hono's `onError`, 500).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { useSession, type SessionEnv } from '@hono/session'
 * import { createSessionStorage, useLevelSessionStorage } from '@levelsession/hono/hono-session'
 *
 * const duration = { absolute: 86_400 } // seconds, as @hono/session counts
 * const storage = createSessionStorage({ path: './data/sessions', duration })
 * const app = new Hono<SessionEnv>()
 * app.use(useLevelSessionStorage(storage), useSession({ duration }))
 * ```
 */
import type { Context, Env, MiddlewareHandler } from 'hono'
import {
  MAX_TTL,
  resolveStore,
  type SessionData,
  type SessionStore,
  type StoreSource,
} from '@levelsession/core'
import { assertNodeRuntime } from '../runtime.js'

/** `@hono/session`'s `Storage<Data>` (0.2), restated so that its types are not needed here. */
export interface HonoSessionStorage<D> {
  get(sid: string): Promise<D | null> | D | null
  set(sid: string, value: D): void
  delete(sid: string): void
}

/** `@hono/session`'s `MaxAgeDuration`, in seconds. */
export interface MaxAgeDuration {
  absolute: number
  inactivity?: number
}

export interface WriteFailure {
  operation: 'set' | 'delete'
  sid: string
}

export interface SessionStorageSettings {
  /**
   * The `duration` given to `useSession`, in seconds. Each write is stored for the longest the
   * cookie can still be valid: `inactivity` (capped at `absolute`) when given, else `absolute`.
   * @default undefined (the cookie does not expire; the store's `maxAge` applies)
   */
  duration?: MaxAgeDuration
  /**
   * Called with a failed `set` or `delete` made outside `useLevelSessionStorage`.
   * @default logs the error with console.error
   */
  onError?: (error: unknown, failure: WriteFailure) => void
}

/** Core's store options (or an existing `store`) plus `duration` and `onError`. */
export type SessionStorageOptions<D = SessionData> = StoreSource<D> & SessionStorageSettings

export interface LevelSessionStorage<D> extends HonoSessionStorage<D> {
  get(sid: string): Promise<D | null>
  /** The core store (for `destroyUser`, `listUser`, ...). */
  readonly store: SessionStore<D>
  /** The TTL in ms each write uses; `undefined`: the store's `maxAge`. */
  readonly ttl: number | undefined
  /** Closes the store if this storage created it. */
  close(): Promise<void>
}

/** The context variable `@hono/session` reads its storage from. */
export interface SessionStorageEnv<D> extends Env {
  Variables: { sessionStorage?: HonoSessionStorage<D> }
}

const kWrite = Symbol('levelsession.write')
interface Writer {
  [kWrite](
    operation: 'set' | 'delete',
    sid: string,
    value?: unknown,
    ifExists?: boolean,
  ): Promise<unknown>
}

/**
 * Creates a `@hono/session` storage on a core store.
 *
 * @param options - core's store options (`path`, `db` or `backend`, `maxAge`, `userId`, ...) or
 *   an existing `store`, plus `duration` and `onError`
 * @param [options.duration] - `useSession`'s duration, in seconds
 * @param [options.onError=console.error] - receives failed writes made outside
 *   `useLevelSessionStorage`
 * @throws TypeError or RangeError at once for missing storage or a bad option
 */
export function createSessionStorage<D = SessionData>(
  options: SessionStorageOptions<D>,
): LevelSessionStorage<D> {
  const who = 'createSessionStorage()'
  assertNodeRuntime()
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${who}: expected an options object such as { path }`)
  }
  const { duration, onError = logFailure, ...source } = options
  if (typeof onError !== 'function')
    throw new TypeError(`${who}: options.onError must be a function`)
  const ttl = ttlFromDuration(duration, who)
  const { store, owned } = resolveStore(source as StoreSource<D>, who)
  const write = (
    operation: 'set' | 'delete',
    sid: string,
    value?: unknown,
    ifExists = false,
  ): Promise<unknown> =>
    operation === 'set'
      ? store.set(sid, value as D, ttl === undefined ? { ifExists } : { ttl, ifExists })
      : store.destroy(sid)
  const report = (operation: 'set' | 'delete', sid: string) => (error: unknown) => {
    try {
      onError(error, { operation, sid })
    } catch {
      // A throwing reporter must not turn into an unhandled rejection either.
    }
  }
  const storage: LevelSessionStorage<D> & Writer = {
    store,
    ttl,
    async get(sid) {
      const record = await store.get(sid)
      return record === undefined ? null : record.data
    },
    set(sid, value) {
      write('set', sid, value).catch(report('set', sid))
    },
    delete(sid) {
      write('delete', sid).catch(report('delete', sid))
    },
    close: () => (owned ? store.close() : Promise.resolve()),
    [kWrite]: write,
  }
  return storage
}

/**
 * Middleware that gives `@hono/session` this storage (in place of its `useSessionStorage`) and
 * awaits every `set` and `delete` of the request before the response goes out; a failed write
 * becomes the request's error, which Hono's `onError` turns into a response (500 by default).
 * Register it before `useSession`.
 *
 * @example
 * ```ts
 * app.use(useLevelSessionStorage(storage), useSession({ duration }))
 * ```
 */
export function useLevelSessionStorage<D, E extends SessionStorageEnv<D> = SessionStorageEnv<D>>(
  storage: LevelSessionStorage<D>,
): MiddlewareHandler<E> {
  if (storage === null || typeof storage !== 'object' || !(kWrite in storage)) {
    throw new TypeError('useLevelSessionStorage(): pass a storage from createSessionStorage()')
  }
  const write = (storage as LevelSessionStorage<D> & Writer)[kWrite]
  return async function levelSessionStorage(c, next) {
    const writes: Promise<void>[] = []
    const failures: unknown[] = []
    // Handlers are attached at once: a rejection waiting for the end of the request would
    // otherwise count as unhandled.
    const track = (operation: 'set' | 'delete', sid: string, value?: unknown) => {
      // A session this request loaded is written only while it still exists: deleted meanwhile
      // (signed out everywhere), it stays deleted, as with the other adapters.
      const written = write(operation, sid, value, operation === 'set' && loaded.has(sid))
      writes.push(written.then(noop, (error) => void failures.push(error)))
    }
    const loaded = new Set<string>()
    const view: HonoSessionStorage<D> = {
      get: async (sid) => {
        const data = await storage.get(sid)
        if (data !== null) loaded.add(sid)
        return data
      },
      set: (sid, value) => track('set', sid, value),
      delete: (sid) => track('delete', sid),
    }
    ;(c as unknown as Context<SessionStorageEnv<D>>).set('sessionStorage', view)
    await next()
    await Promise.all(writes)
    if (failures.length > 0) throw failures[0]
  }
}

/** The TTL in ms for `@hono/session`'s `duration` (seconds); `undefined` without one. */
export function ttlFromDuration(
  duration: MaxAgeDuration | undefined,
  who = 'ttlFromDuration()',
): number | undefined {
  if (duration === undefined) return undefined
  if (duration === null || typeof duration !== 'object') {
    throw new TypeError(`${who}: options.duration must be { absolute, inactivity? } in seconds`)
  }
  const absolute = seconds(duration.absolute, 'absolute', who)
  const inactivity =
    duration.inactivity === undefined ? absolute : seconds(duration.inactivity, 'inactivity', who)
  return Math.min(absolute, inactivity) * 1000
}

function seconds(value: unknown, name: string, who: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value * 1000 > MAX_TTL
  ) {
    const Failure = typeof value === 'number' ? RangeError : TypeError
    throw new Failure(
      `${who}: options.duration.${name} must be a positive number of seconds, got ${typeof value === 'number' ? value : typeof value}`,
    )
  }
  return value
}

function noop(): void {}

// The id is left out: it is the session's credential, and logs are read by many.
function logFailure(error: unknown, { operation }: WriteFailure): void {
  console.error(`@levelsession/hono/hono-session: a session ${operation} failed:`, error)
}
