/**
 * @module
 * When a session is due for renewal.
 */

// koa-session applies the same threshold inside itself.
/** True when less than half of `ttl` is left before `expiresAt`: time to renew the session. */
export function renewDue(expiresAt: number, ttl: number, now: number): boolean {
  return expiresAt - now < ttl / 2
}
