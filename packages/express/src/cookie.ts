/**
 * @module
 * express-session's cookie in storage: the shape `Cookie.toJSON()` gives (originalMaxAge,
 * expires, secure, httpOnly, domain, path, sameSite, priority, partitioned), never the live
 * object with its private `_expires`, so any codec stores what JSON would.
 */

import { isoDate } from './iso-date.js'

export type StoredCookie = Record<string, unknown>

// Compared by identity only, never called.
/* eslint-disable @typescript-eslint/unbound-method */
const dateToJSON = Date.prototype.toJSON
const dateToISOString = Date.prototype.toISOString
/* eslint-enable @typescript-eslint/unbound-method */

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object'
}

/** The cookie of a session about to be stored, checked to be an object. */
export function checkedCookie(cookie: unknown): StoredCookie {
  if (!isObject(cookie)) {
    throw new TypeError(
      'session.cookie must be an object (the session is not from express-session)',
    )
  }
  return cookie
}

/** The cookie of a session about to be stored, as a plain object without undefined fields. */
export function cookieToStore(value: unknown): StoredCookie {
  const cookie = checkedCookie(value)
  const toJSON = cookie.toJSON
  const plain: unknown = typeof toJSON === 'function' ? toJSON.call(cookie) : cookie
  const out: StoredCookie = {}
  if (isObject(plain)) {
    // for...in over own fields: no entries array on every touch.
    for (const key in plain) {
      if (!Object.hasOwn(plain, key)) continue
      const field = plain[key]
      if (field !== undefined) out[key] = field
    }
  }
  return out
}

/**
 * Turns a stored cookie's Date `expires` into its JSON text (an ISO string, or null for an
 * invalid Date), in place. V8 serialises an object holding a Date on its slow path: for an
 * express session, turning that one field into a string first costs less than the Date does (a
 * session's `JSON.stringify` went from about 2.3 to 1.6 µs). The JSON is the same, byte for byte.
 */
export function expiresAsJSON(cookie: StoredCookie): StoredCookie {
  const { expires } = cookie
  // Only a plain Date while Date's own toJSON and toISOString are in place: a subclass or a
  // patched prototype gets what JSON.stringify would give it.
  if (
    expires instanceof Date &&
    Object.getPrototypeOf(expires) === Date.prototype &&
    Date.prototype.toJSON === dateToJSON &&
    Date.prototype.toISOString === dateToISOString
  ) {
    const ms = expires.getTime()
    cookie.expires = Number.isFinite(ms) ? isoDate(ms) : null
  }
  return cookie
}

/**
 * Whether two cookies agree on everything a touch must preserve. `expires` is compared only for
 * presence (browser-session or not): its value moves on every request, and the store's own
 * expiry is the authority that `get` reports.
 */
export function sameCookie(stored: unknown, next: StoredCookie): boolean {
  if (!isObject(stored)) return false
  if (((stored.expires ?? null) === null) !== ((next.expires ?? null) === null)) return false
  // Field by field, each side's keys once: a touch on every request compares cookies.
  for (const key in stored) {
    if (key !== 'expires' && Object.hasOwn(stored, key) && !sameField(stored[key], next[key])) {
      return false
    }
  }
  for (const key in next) {
    if (key !== 'expires' && Object.hasOwn(next, key) && !Object.hasOwn(stored, key)) {
      if (!sameField(undefined, next[key])) return false
    }
  }
  return true
}

/** Cookie fields are primitives; anything else is compared as JSON. */
function sameField(a: unknown, b: unknown): boolean {
  const x = a ?? null
  const y = b ?? null
  if (x === y) return true
  if (typeof x !== 'object' || typeof y !== 'object') return false
  return JSON.stringify(x) === JSON.stringify(y)
}
