/**
 * @module
 * The middleware's own options (cookie, secrets, rolling, renew), checked when `session()` runs so
 * that a mistake fails at startup, never on the first request.
 */
import { MAX_TTL, type StoreSource } from '@levelsession/core'

export interface SessionCookieOptions {
  /** Cookie name. @default 'sid' */
  name?: string
  /** @default '/' */
  path?: string
  /** @default undefined (the request's host only) */
  domain?: string
  /**
   * Lifetime in **milliseconds** (like Express and Koa; converted to Hono's seconds when the
   * cookie is written, and capped there at browsers' 400 days). It is also the session's TTL in
   * the store. `undefined` makes a browser-session cookie, stored with the store's `maxAge`.
   * @default undefined
   */
  maxAge?: number
  /** @default true */
  httpOnly?: boolean
  /** @default 'Lax' */
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none'
  /** `'auto'`: `Secure` when the request is HTTPS (see `trustProxy`). @default 'auto' */
  secure?: boolean | 'auto'
}

/** Options of `session()` besides the storage. */
export interface SessionSettings {
  /**
   * HMAC key(s) that sign the session cookie. With a list, cookies are signed with the first
   * and accepted when signed with any (rotate by putting the new key first). Required.
   */
  secret: string | readonly string[]
  cookie?: SessionCookieOptions
  /** Write the session's expiry and resend the cookie on every response. @default false */
  rolling?: boolean
  /** Do so when less than half of the session's lifetime is left. @default false */
  renew?: boolean
  /**
   * Believe the first `X-Forwarded-Proto` for `secure: 'auto'` (behind a TLS-terminating proxy).
   * @default false
   */
  trustProxy?: boolean
}

/**
 * Options of `session()`: core's store options (`path`, `db` or `backend`, plus `maxAge`,
 * `expiry`, `userId`, ...) or an existing `store`, and the middleware's own settings.
 */
export type SessionOptions<D = Record<string, unknown>> = StoreSource<D> & SessionSettings

export interface ResolvedCookie {
  name: string
  path: string
  domain: string | undefined
  maxAge: number | undefined
  httpOnly: boolean
  sameSite: 'Strict' | 'Lax' | 'None'
  secure: boolean | 'auto'
}

export interface ResolvedSettings {
  secrets: readonly string[]
  cookie: ResolvedCookie
  rolling: boolean
  renew: boolean
  trustProxy: boolean
}

/** The keys `session()` takes for itself; the rest describes the store. */
export const SETTING_KEYS = ['secret', 'cookie', 'rolling', 'renew', 'trustProxy'] as const

// Hono's own rules for cookie names and attribute values, checked here so that they fail at
// startup instead of throwing from `setCookie` on a request.
const COOKIE_NAME = /^[\w!#$%&'*.^`|~+-]+$/
const ATTRIBUTE = /^[^;\r\n]*$/

/** Checks and fills in the settings; throws a `TypeError` or `RangeError` naming the option. */
export function resolveSettings(options: SessionSettings, who: string): ResolvedSettings {
  const cookie: SessionCookieOptions = options.cookie ?? {}
  if (typeof cookie !== 'object' || cookie === null) {
    throw new TypeError(`${who}: options.cookie must be an object`)
  }
  const sameSite = cookie.sameSite ?? 'Lax'
  const resolved: ResolvedSettings = {
    secrets: secrets(options.secret, who),
    cookie: {
      name: text(cookie.name, 'sid', COOKIE_NAME, 'cookie.name', who),
      path: text(cookie.path, '/', ATTRIBUTE, 'cookie.path', who),
      domain:
        cookie.domain === undefined
          ? undefined
          : text(cookie.domain, '', ATTRIBUTE, 'cookie.domain', who),
      maxAge: maxAge(cookie.maxAge, who),
      httpOnly: flag(cookie.httpOnly, true, 'cookie.httpOnly', who),
      sameSite: sameSiteOf(sameSite, who),
      secure: cookie.secure === 'auto' ? 'auto' : flag(cookie.secure, 'auto', 'cookie.secure', who),
    },
    rolling: flag(options.rolling, false, 'rolling', who),
    renew: flag(options.renew, false, 'renew', who),
    trustProxy: flag(options.trustProxy, false, 'trustProxy', who),
  }
  if (resolved.cookie.sameSite === 'None' && resolved.cookie.secure === false) {
    throw new RangeError(`${who}: options.cookie.sameSite 'None' needs a Secure cookie`)
  }
  checkPrefix(resolved.cookie, who)
  return resolved
}

/**
 * A `__Secure-` or `__Host-` name (cookie prefixes, matched without case as browsers and Hono
 * do) is a promise browsers enforce: the cookie must be Secure, and a `__Host-` one must have
 * path `/` and no domain. Hono throws on every write that breaks it, so a mistake fails here.
 * `secure: 'auto'` becomes `true`: such a cookie is never valid without it (browsers accept
 * Secure cookies from http://localhost, so development still works).
 */
function checkPrefix(cookie: ResolvedCookie, who: string): void {
  const prefix = /^__(secure|host)-/i.exec(cookie.name)?.[1]?.toLowerCase()
  if (prefix === undefined) return
  const needs = (what: string) =>
    new RangeError(`${who}: options.cookie.name '${cookie.name}' needs ${what}`)
  if (cookie.secure === false) throw needs('a Secure cookie: leave cookie.secure unset, or true')
  cookie.secure = true
  if (prefix === 'host' && cookie.path !== '/') throw needs("cookie.path '/'")
  if (prefix === 'host' && cookie.domain !== undefined) throw needs('no cookie.domain')
}

function secrets(value: unknown, who: string): readonly string[] {
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : []
  if (list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
    throw new TypeError(
      `${who}: options.secret is required: a non-empty string, or a list of them (the first signs ` +
        'new cookies, any of them verifies), e.g. process.env.SESSION_SECRET',
    )
  }
  return Object.freeze([...(list as string[])])
}

function text(
  value: unknown,
  fallback: string,
  pattern: RegExp,
  name: string,
  who: string,
): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '' || !pattern.test(value)) {
    throw new TypeError(`${who}: options.${name} is not a valid cookie ${name.slice(7)}`)
  }
  return value
}

function maxAge(value: unknown, who: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_TTL) {
    // A wrong type is a TypeError; a number out of range a RangeError.
    const Failure = typeof value === 'number' ? RangeError : TypeError
    throw new Failure(
      `${who}: options.cookie.maxAge must be a number of milliseconds between 1 and ${MAX_TTL}, ` +
        `or undefined for a browser-session cookie; got ${typeof value === 'number' ? value : typeof value}`,
    )
  }
  return Math.floor(value)
}

function flag<T>(value: unknown, fallback: T, name: string, who: string): boolean | T {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${who}: options.${name} must be a boolean`)
  return value
}

function sameSiteOf(value: unknown, who: string): 'Strict' | 'Lax' | 'None' {
  const found = (['Strict', 'Lax', 'None'] as const).find(
    (v) => typeof value === 'string' && v.toLowerCase() === value.toLowerCase(),
  )
  if (found === undefined) {
    throw new RangeError(`${who}: options.cookie.sameSite must be 'Strict', 'Lax' or 'None'`)
  }
  return found
}
