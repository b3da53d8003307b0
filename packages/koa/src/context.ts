/**
 * @module
 * Opt-in types for `ctx.session` and `ctx.sessionOptions` (koa-session adds both at runtime but
 * types neither). Importing this module changes Koa's `DefaultContext` for the whole program, so
 * it is a separate entry point rather than part of `@levelsession/koa`:
 *
 * @example
 * ```ts
 * import type {} from '@levelsession/koa/context'
 *
 * declare module '@levelsession/koa' {
 *   interface SessionData {
 *     views?: number
 *     user?: string
 *   }
 * }
 *
 * app.use((ctx) => {
 *   ctx.session.views = (ctx.session.views ?? 0) + 1 // number | undefined, checked
 * })
 * ```
 */
// Named here so the augmentation below resolves 'koa' in the CommonJS build as well.
import type {} from 'koa'
import type { CreateSessionOptions } from 'koa-session'
import type { SessionData } from './types.js'

/** The methods and properties of koa-session's `Session` object (its class is not exported). */
export interface KoaSessionModel {
  /** True when no stored session was found and this one was created for the request. */
  readonly isNew: boolean
  /** Number of data keys; `populated` is `length > 0`. */
  readonly length: number
  readonly populated: boolean
  /** This session's lifetime in ms, or `'session'`; setting it forces a save. */
  maxAge: number | 'session' | undefined
  /** The store key (the session id in the cookie); pass it as `except` to `destroyUser`. */
  readonly externalKey: string | undefined
  /** Saves now, whether or not anything changed. */
  save(): Promise<void>
  /** Deletes the stored session and saves the data under a new key (call after sign-in). */
  regenerate(): Promise<void>
  /** Commits headers and storage when `autoCommit` is false. */
  manuallyCommit(): Promise<void>
  /** The data without koa-session's own fields. */
  toJSON(): Record<string, unknown>
}

/** `ctx.session`: koa-session's model with your `SessionData`. */
export type KoaSession = KoaSessionModel & SessionData

declare module 'koa' {
  interface DefaultContext {
    /**
     * The session (created on first access). Assign `null` to destroy it; after that, reading
     * returns `null` for the rest of the request.
     */
    get session(): KoaSession
    set session(value: SessionData | null)
    /** koa-session's options for this request (a per-request copy). */
    readonly sessionOptions: CreateSessionOptions
  }
}
