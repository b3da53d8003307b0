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
// Core's API, errors and types, so an app needs one import.
export * from '@levelsession/core'
