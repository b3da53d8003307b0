/**
 * @module
 * The session cookie: the id, signed with HMAC-SHA256 through Hono's own cookie helpers, read
 * against every secret in turn (rotation), written with the first.
 */
import type { Context } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { isValidSessionId } from '@levelsession/core'
import type { ResolvedSettings } from './options.js'

/** Browsers cap a cookie's Max-Age at 400 days, and Hono refuses anything longer. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 86_400

/**
 * The one place where milliseconds (our options, Express and Koa) become seconds (Hono's cookie
 * `maxAge`): rounded up, so that a cookie never ends before its session, and capped at 400 days.
 */
export function cookieMaxAge(ms: number): number {
  return Math.min(MAX_COOKIE_AGE_SECONDS, Math.ceil(ms / 1000))
}

/**
 * The id from a correctly signed session cookie, and whether it was signed with a secret other
 * than the first (then the cookie is due to be signed again, so the old secret can be retired);
 * `undefined` when there is none, it is unsigned or tampered with, or the id is malformed.
 */
export async function readSignedId(
  c: Context,
  settings: ResolvedSettings,
): Promise<{ id: string; stale: boolean } | undefined> {
  for (const [index, secret] of settings.secrets.entries()) {
    const value = await getSignedCookie(c, secret, settings.cookie.name)
    // `undefined`: no cookie, or no signature at all; `false`: not signed with this secret.
    if (value === undefined) return undefined
    if (value !== false)
      return isValidSessionId(value) ? { id: value, stale: index > 0 } : undefined
  }
  return undefined
}

/** Sends the cookie for `id`, signed with the first secret. */
export async function writeSessionCookie(
  c: Context,
  id: string,
  settings: ResolvedSettings,
): Promise<void> {
  const { name, maxAge } = settings.cookie
  await setSignedCookie(c, name, id, settings.secrets[0]!, {
    ...attributes(c, settings),
    ...(maxAge === undefined ? {} : { maxAge: cookieMaxAge(maxAge) }),
  })
}

/** Tells the browser to drop the cookie. */
export function clearSessionCookie(c: Context, settings: ResolvedSettings): void {
  deleteCookie(c, settings.cookie.name, attributes(c, settings))
}

function attributes(c: Context, settings: ResolvedSettings) {
  const { path, domain, httpOnly, sameSite, secure } = settings.cookie
  return {
    path,
    httpOnly,
    sameSite,
    secure: secure === 'auto' ? isHttps(c, settings.trustProxy) : secure,
    ...(domain === undefined ? {} : { domain }),
  }
}

/** Whether the request came over HTTPS (per `X-Forwarded-Proto` only when the proxy is trusted). */
export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-proto')
    if (forwarded !== undefined && forwarded !== '') {
      return forwarded.split(',')[0]!.trim().toLowerCase() === 'https'
    }
  }
  return c.req.url.startsWith('https:')
}
