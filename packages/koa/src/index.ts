/**
 * @module
 * @levelsession/koa: a koa-session external store (also usable by koa-generic-session) whose
 * sessions live in an embedded LevelDB database, with the expiry, cleanup and user index of
 * `@levelsession/core`. Types for `ctx.session` are opt-in: `@levelsession/koa/context`.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import session from 'koa-session'
 * import { LevelSessionStore } from '@levelsession/koa'
 *
 * const app = new Koa()
 * app.keys = [process.env.SESSION_SECRET!]
 * app.use(
 *   session({ store: new LevelSessionStore({ path: './data/sessions' }), maxAge: 86_400_000 }, app),
 * )
 * ```
 */
export { LevelSessionStore, type LevelSessionStoreOptions } from './store.js'
export type {
  SessionData,
  KoaSessionFields,
  StoredSession,
  GetOptions,
  SetOptions,
  DestroyOptions,
} from './types.js'
export { ttlFromMaxAge } from './ttl.js'
// Core's API, errors and types, so an app needs one import.
export * from '@levelsession/core'
