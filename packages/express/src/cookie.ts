/**
 * @module
 * express-session's cookie in storage: the shape `Cookie.toJSON()` gives (originalMaxAge,
 * expires, secure, httpOnly, domain, path, sameSite, priority, partitioned), never the live
 * object with its private `_expires`, so any codec stores what JSON would.
 */

export type StoredCookie = Record<string, unknown>

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
  const plain: unknown = typeof toJSON === 'function' ? toJSON.call(cookie) : { ...cookie }
  const out: StoredCookie = {}
  if (isObject(plain)) {
    for (const [key, value] of Object.entries(plain)) if (value !== undefined) out[key] = value
  }
  return out
}

/**
 * Whether two cookies agree on everything a touch must preserve. `expires` is compared only for
 * presence (browser-session or not): its value moves on every request, and the store's own
 * expiry is the authority that `get` reports.
 */
export function sameCookie(stored: unknown, next: StoredCookie): boolean {
  if (!isObject(stored)) return false
  if (((stored.expires ?? null) === null) !== ((next.expires ?? null) === null)) return false
  const keys = new Set([...Object.keys(stored), ...Object.keys(next)])
  keys.delete('expires')
  for (const key of keys) {
    if (JSON.stringify(stored[key] ?? null) !== JSON.stringify(next[key] ?? null)) return false
  }
  return true
}
