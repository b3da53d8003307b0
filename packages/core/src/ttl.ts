/**
 * @module
 * From a cookie's lifetime to a store TTL, the rule every adapter shares: the time left until the
 * cookie's `expires`, else its max age, else the store's `maxAge` (a browser-session cookie);
 * a lifetime already over means "destroy".
 */
import { MAX_TTL } from './options.js'

/** What a session cookie says about its own lifetime. */
export interface CookieLifetime {
  /** Absolute expiry (a Date, an ISO string or epoch ms); `null`/`undefined` when it has none. */
  expires?: Date | string | number | null | undefined
  /** Lifetime in ms, used when `expires` is absent; `null`/`undefined` when it has none. */
  maxAge?: number | null | undefined
}

/**
 * `expired`: the cookie's lifetime is already over (destroy the session). Otherwise `ttl` is the
 * lifetime in whole ms (at least 1, at most `MAX_TTL`), or `undefined` for a browser-session
 * cookie, meaning "use the store's `maxAge`".
 */
export type TtlDecision = { expired: true } | { expired: false; ttl: number | undefined }

/**
 * The TTL a session should be stored with, from its cookie: the time left until `expires` when
 * that is a valid date, else `maxAge`, else `undefined` (a browser-session cookie).
 *
 * @param cookie - the cookie's lifetime; `null`/`undefined` counts as a browser-session cookie
 * @param [now=Date.now()] - the clock the cookie's `expires` was computed with
 */
export function ttlFromCookie(
  cookie: CookieLifetime | null | undefined,
  now: number = Date.now(),
): TtlDecision {
  const maxAge = cookie?.maxAge === Infinity ? MAX_TTL : finite(cookie?.maxAge)
  const left = remaining(cookie?.expires, now) ?? maxAge
  if (left === undefined) return { expired: false, ttl: undefined }
  if (left <= 0) return { expired: true }
  return { expired: false, ttl: Math.min(MAX_TTL, Math.ceil(left)) }
}

function remaining(expires: CookieLifetime['expires'], now: number): number | undefined {
  if (expires === null || expires === undefined) return undefined
  const time =
    expires instanceof Date
      ? expires.getTime()
      : typeof expires === 'string'
        ? Date.parse(expires)
        : expires
  return finite(time) === undefined ? undefined : time - now
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}
