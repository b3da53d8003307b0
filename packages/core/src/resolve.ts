/**
 * @module
 * "Core options or an existing core store": the one way every adapter's constructor accepts its
 * storage. Every adapter's constructor uses it.
 */
import { createSessionStore, type SessionStore } from './store.js'
import type { SessionData, SessionStoreOptions } from './types.js'

/** Core options (the adapter creates and owns a store) or `{ store }` (share an existing one). */
export type StoreSource<D = SessionData> = SessionStoreOptions<D> | { store: SessionStore<D> }

export interface ResolvedStore<D> {
  store: SessionStore<D>
  /** True when the store was created here, so closing the adapter closes it. */
  owned: boolean
}

const STORE_METHODS = [
  'ready',
  'get',
  'set',
  'touch',
  'destroy',
  'destroyUser',
  'entries',
  'count',
  'clear',
  'close',
  'on',
  'off',
] as const

// candidate for core: `resolveSessionStore(source, who)`.
/**
 * Creates a store from core options, or checks and returns the given one. Throws a `TypeError`
 * at construction, naming `who`, for a missing argument, a `store` that is not a core store, or
 * a `store` given together with options that belong to it.
 */
export function resolveStore<D>(source: StoreSource<D>, who: string): ResolvedStore<D> {
  if (source === null || typeof source !== 'object') {
    throw new TypeError(
      `${who}: expected options such as { path: './data/sessions' } or { store }, got ${
        source === null ? 'null' : typeof source
      }`,
    )
  }
  const given = ['path', 'db', 'backend', 'store'].filter(
    (key) => (source as Record<string, unknown>)[key] !== undefined,
  )
  if (given.length === 0) {
    throw new TypeError(
      `${who}: give options.path (a directory for the database), options.db, options.backend ` +
        'or options.store (an existing store)',
    )
  }
  if (!('store' in source) || source.store === undefined) {
    return { store: createSessionStore<D>(source as SessionStoreOptions<D>), owned: true }
  }
  const extra = Object.keys(source).filter(
    (key) => key !== 'store' && (source as Record<string, unknown>)[key] !== undefined,
  )
  if (extra.length > 0) {
    throw new TypeError(
      `${who}: options.store is an existing store, so ${extra.map((k) => `options.${k}`).join(', ')} cannot be set here; ` +
        'pass them to createSessionStore instead',
    )
  }
  // Duck-typed, not instanceof: the app may hold the ESM copy of core and this adapter the CJS one.
  const { store } = source
  if (store === null || typeof store !== 'object') {
    throw new TypeError(
      `${who}: options.store must be a store from createSessionStore, got ${
        store === null ? 'null' : typeof store
      }`,
    )
  }
  const missing = STORE_METHODS.filter(
    (m) => typeof (store as unknown as Record<string, unknown>)[m] !== 'function',
  )
  if (missing.length > 0) {
    throw new TypeError(
      `${who}: options.store must be a store from createSessionStore (missing ${missing.join(', ')})`,
    )
  }
  return { store, owned: false }
}
