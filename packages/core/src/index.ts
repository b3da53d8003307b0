/**
 * @module
 * @levelsession/core: server-side HTTP sessions on an embedded LevelDB database.
 *
 * @example
 * ```ts
 * import { createSessionStore, generateSessionId } from '@levelsession/core'
 * const store = createSessionStore({ path: './data/sessions' })
 * const id = generateSessionId()
 * await store.set(id, { views: 1 })
 * const session = await store.get(id) // { id, data: { views: 1 }, createdAt, expiresAt }
 * ```
 */
export { createSessionStore, SessionStore } from './store.js'
export { setupSessionStore, type SetupOptions, type SetupResult } from './setup.js'
export { generateSessionId, isValidSessionId, MAX_ID_LENGTH } from './id.js'
export { jsonCodec } from './codec.js'
export { systemClock } from './options.js'
export { ttlFromCookie, type CookieLifetime, type TtlDecision } from './ttl.js'
export { resolveStore, type ResolvedStore, type StoreSource } from './resolve.js'
export { KeyedLock } from './keyed-lock.js'
export { ClockCache } from './clock-cache.js'
export { exactText, storedSessionBytes, textSession } from './text-session.js'
export {
  MAX_TTL,
  DEFAULT_CACHE_BYTES,
  DEFAULT_CACHE_SIZE,
  DEFAULT_CLEANUP_INTERVAL,
  DEFAULT_MAX_AGE,
  DEFAULT_MAX_SESSION_BYTES,
  type ResolvedOptions,
} from './options.js'
export { SCHEMA_VERSION, type LevelBackend } from './level/backend.js'
export {
  directoryContents,
  PID_FILE,
  readOwner as readDatabaseOwner,
  requireLevelDbDirectory,
  type Owner,
} from './level/directory.js'
export * from './errors.js'
export type * from './types.js'
