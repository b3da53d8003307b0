/**
 * @module
 * Types of the session data: what an app keeps in `ctx.session`, and the fields koa-session adds
 * to what it stores.
 */

/**
 * Your session data. Empty until you augment it, which types the `userId` extractor and, with
 * `@levelsession/koa/context`, `ctx.session`:
 *
 * @example
 * ```ts
 * declare module '@levelsession/koa' {
 *   interface SessionData {
 *     views?: number
 *     user?: string
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by augmentation
export interface SessionData {}

/** Fields koa-session writes next to the data; the store keeps them unchanged. */
export interface KoaSessionFields {
  /** Epoch ms after which koa-session itself ignores the session. */
  _expire?: number
  /** The session's `maxAge` in ms, restored into `ctx.sessionOptions.maxAge` on load. */
  _maxAge?: number
  /** Present for browser-session cookies (`maxAge: 'session'`). */
  _session?: boolean
}

/** A session as the store keeps it: your data, koa-session's fields, anything else JSON. */
export type StoredSession = SessionData & KoaSessionFields & Record<string, unknown>

/** koa-session's third argument to `get`. */
export interface GetOptions {
  rolling?: boolean
  ctx?: unknown
}

/** koa-session's fourth argument to `set`. */
export interface SetOptions {
  rolling?: boolean
  /** Ignored: regenerate, rolling, renew and forced saves arrive with `changed: false`. */
  changed?: boolean
  ctx?: unknown
}

/** koa-session's second argument to `destroy`. */
export interface DestroyOptions {
  ctx?: unknown
}
