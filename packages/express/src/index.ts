/**
 * @module
 * @levelsession/express: an express-session store whose sessions live in an embedded LevelDB
 * database, with the expiry, cleanup and user index of `@levelsession/core`.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import session from 'express-session'
 * import { LevelSessionStore } from '@levelsession/express'
 *
 * const app = express()
 * app.use(
 *   session({
 *     store: new LevelSessionStore({ path: './data/sessions' }),
 *     secret: process.env.SESSION_SECRET!,
 *     resave: false,
 *     saveUninitialized: false,
 *   }),
 * )
 * ```
 */
export { LevelSessionStore, type Callback, type LevelSessionStoreOptions } from './store.js'
export {
  ttlFromCookie,
  MAX_TTL,
  resolveStore,
  type CookieLifetime,
  type TtlDecision,
  type ResolvedStore,
  type StoreSource,
  createSessionStore,
  generateSessionId,
  isValidSessionId,
  isSessionError,
  SessionError,
  DEFAULT_MAX_AGE,
  DEFAULT_CLEANUP_INTERVAL,
  type SessionErrorCode,
  type SessionStore,
  type SessionStoreOptions,
  type SessionRecord,
  type DestroyUserOptions,
  type Codec,
  type Expiry,
  type Durability,
} from '@levelsession/core'
