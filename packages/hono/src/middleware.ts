/**
 * @module
 * `session()`: the Hono middleware. It reads the signed cookie, loads the session (only when a
 * valid cookie came), hands the handler a `Session`, and after the handler writes what changed,
 * awaiting every write before the response goes out. A failing store throws, so the request
 * fails through Hono's `onError` (500) and the next request starts afresh.
 */
import type { Env, MiddlewareHandler } from 'hono'
import { resolveStore, type SessionStore, type StoreSource } from '@levelsession/core'
import { clearSessionCookie, readSignedId, writeSessionCookie } from './cookie.js'
import { resolveSettings, SETTING_KEYS, type SessionOptions } from './options.js'
import { assertNodeRuntime } from './runtime.js'
import { kCommit, Session } from './session.js'

/** The context variables `session()` sets. */
export interface SessionVariables<D extends object = Record<string, unknown>> {
  session: Session<D>
}

/** A Hono `Env` for typed session data: `new Hono<SessionEnv<{ views: number }>>()`. */
export interface SessionEnv<D extends object = Record<string, unknown>> extends Env {
  Variables: SessionVariables<D>
}

/** The middleware, with the store it uses (for `destroyUser`, `listUser`, ...) and `close()`. */
export interface SessionMiddleware<
  D extends object = Record<string, unknown>,
> extends MiddlewareHandler<SessionEnv<D>> {
  /** The core store: `store.destroyUser(userId)` signs a user out everywhere. */
  readonly store: SessionStore<D>
  /** Closes the store if `session()` created it (not one passed as `store`). */
  close(): Promise<void>
}

/**
 * Server-side sessions for Hono on Node.js, stored by `@levelsession/core`.
 *
 * @param options - core's store options (`path`, `db` or `backend`, `maxAge`, `userId`, ...) or
 *   an existing `store`, plus:
 * @param options.secret - key or keys (first signs, any verifies) for the cookie's HMAC; required
 * @param [options.cookie.name='sid'] - cookie name
 * @param [options.cookie.path='/'] - cookie path
 * @param [options.cookie.domain] - cookie domain
 * @param [options.cookie.maxAge] - lifetime in ms, also the session's TTL; none: a
 *   browser-session cookie, stored with the store's `maxAge`
 * @param [options.cookie.httpOnly=true]
 * @param [options.cookie.sameSite='Lax']
 * @param [options.cookie.secure='auto'] - `Secure` when the request is HTTPS
 * @param [options.rolling=false] - refresh the expiry and the cookie on every response
 * @param [options.renew=false] - do so when less than half of the lifetime is left
 * @param [options.trustProxy=false] - trust `X-Forwarded-Proto` for `secure: 'auto'`
 * @throws TypeError or RangeError at once for missing storage or secret, or a bad option
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { session, type SessionEnv } from '@levelsession/hono'
 *
 * const app = new Hono<SessionEnv<{ views: number }>>()
 * app.use(session({ path: './data/sessions', secret: process.env.SESSION_SECRET! }))
 * app.get('/', (c) => {
 *   const s = c.get('session')
 *   s.set('views', (s.get('views') ?? 0) + 1)
 *   return c.text(String(s.get('views')))
 * })
 * ```
 */
export function session<D extends object = Record<string, unknown>>(
  options: SessionOptions<D>,
): SessionMiddleware<D> {
  const who = 'session()'
  assertNodeRuntime()
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${who}: expected an options object such as { path, secret }`)
  }
  // Settings first: a bad option must not leave a database open behind it.
  const settings = resolveSettings(options, who)
  const { store, owned } = resolveStore(storeSource(options), who)
  // The cookie's lifetime, else the store's maxAge (a browser-session cookie has none).
  const ttl = settings.cookie.maxAge ?? store.options.maxAge
  const { rolling, renew } = settings
  // Reads keep a session alive when its idle timeout is the store's (see Session's commit).
  const slide = settings.cookie.maxAge === undefined && store.options.expiry === 'sliding'

  const handler: MiddlewareHandler<SessionEnv<D>> = async function session(c, next) {
    const signed = await readSignedId(c, settings)
    // A signed id the store does not know (expired, destroyed) is dropped: the new session gets
    // a new id, never the client's.
    const record = signed === undefined ? undefined : await store.get(signed.id)
    const current = new Session<D>(store, record, ttl)
    c.set('session', current)
    await next()
    const action = await current[kCommit]({ ttl, rolling, renew, slide, now: store.options.now() })
    // A cookie signed with an older secret is signed again with the first, even on a read: the
    // old secret can then be retired without signing out users who only read.
    const resign = action === undefined && signed?.stale === true && current.id === signed.id
    if (action === 'set' || resign) {
      await writeSessionCookie(c, current.id, settings)
    } else if (action === 'clear') clearSessionCookie(c, settings)
  }
  return Object.assign(handler, {
    store,
    close: () => (owned ? store.close() : Promise.resolve()),
  })
}

function storeSource<D>(options: SessionOptions<D>): StoreSource<D> {
  const source: Record<string, unknown> = { ...options }
  for (const key of SETTING_KEYS) delete source[key]
  return source
}
