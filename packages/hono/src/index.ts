/**
 * @module
 * @levelsession/hono: server-side session middleware for Hono on Node.js, with sessions in an
 * embedded LevelDB database (`@levelsession/core`). The `@hono/session` storage bridge is the
 * subpath `@levelsession/hono/hono-session`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { serve } from '@hono/node-server'
 * import { session, type SessionEnv } from '@levelsession/hono'
 *
 * const app = new Hono<SessionEnv<{ views: number; user?: string }>>()
 * app.use(session({ path: './data/sessions', secret: process.env.SESSION_SECRET!, maxAge: 86_400_000 }))
 * app.get('/', (c) => {
 *   const s = c.get('session')
 *   s.set('views', (s.get('views') ?? 0) + 1)
 *   return c.text(String(s.get('views')))
 * })
 * serve(app)
 * ```
 */
import type { SessionVariables } from './middleware.js'

export {
  session,
  type SessionEnv,
  type SessionMiddleware,
  type SessionVariables,
} from './middleware.js'
export { Session, FLASH_KEY } from './session.js'
export type { SessionCookieOptions, SessionOptions, SessionSettings } from './options.js'
export { cookieMaxAge, MAX_COOKIE_AGE_SECONDS } from './cookie.js'
// Core's API, errors and types, so an app needs one import.
export * from '@levelsession/core'

declare module 'hono' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging
  interface ContextVariableMap extends SessionVariables {}
}
