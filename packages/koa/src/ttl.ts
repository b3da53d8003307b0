/**
 * @module
 * From the lifetime a framework passes with a write to a store TTL. koa-session passes a number
 * of ms (its `maxAge` plus a 10 s margin), the string `'session'` for a browser-session cookie,
 * or nothing; koa-generic-session passes a number or nothing.
 */
import { ttlFromCookie, type TtlDecision } from '@levelsession/core'

/**
 * The TTL for a write whose lifetime is `maxAge`.
 *
 * @param maxAge - ms; `'session'`, `undefined` or `null` fall back to the store's `maxAge`
 * @param [name='maxAge'] - the argument's name in error messages
 * @throws TypeError for any other type, RangeError for `NaN`
 */
export function ttlFromMaxAge(maxAge: unknown, name = 'maxAge'): TtlDecision {
  if (maxAge === undefined || maxAge === null || maxAge === 'session') {
    return { expired: false, ttl: undefined }
  }
  if (typeof maxAge !== 'number') {
    throw new TypeError(
      `${name} must be a number of ms, 'session' or undefined, got ${describe(maxAge)}`,
    )
  }
  if (Number.isNaN(maxAge)) throw new RangeError(`${name} must be a number of ms, got NaN`)
  return ttlFromCookie({ maxAge })
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value
}
