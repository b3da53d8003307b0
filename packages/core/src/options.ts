/**
 * @module
 * Validation of store options: a wrong type or value throws when the store is created, naming
 * the option, never on the first request.
 */
import { jsonCodec } from './codec.js'
import type { Codec, Durability, Expiry, SessionStoreOptions } from './types.js'

export const DEFAULT_MAX_AGE = 86_400_000
export const DEFAULT_CLEANUP_INTERVAL = 60_000
export const DEFAULT_MAX_SESSION_BYTES = 1_048_576
export const DEFAULT_CACHE_SIZE = 20_000
/** Default `cacheBytes`: 64 MiB. */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
/** Longest TTL accepted: 100 years keeps `expiresAt` within the index's 15 digits. */
export const MAX_TTL = 100 * 365 * 86_400_000
/**
 * The default clock: `Date.now`, looked up on each call, so a test's fake `Date`
 * (`vi.setSystemTime`) moves the store's clock too. Adapters compare against it, as against
 * `jsonCodec`, to know that the store's times are wall-clock times.
 */
export const systemClock = (): number => Date.now()

/** Longest delay `setTimeout` honours (about 24.8 days); longer ones fire at once. */
const MAX_TIMER = 2_147_483_647

export interface ResolvedOptions<D> {
  maxAge: number
  expiry: Expiry
  maxLifetime: number | undefined
  touchAfter: number
  cleanupInterval: number
  userId: ((data: D) => string | number | null | undefined) | undefined
  codec: Codec<D>
  durability: Durability
  maxSessionBytes: number
  cacheSize: number
  cacheBytes: number
  now: () => number
}

export function resolveOptions<D>(options: SessionStoreOptions<D>): ResolvedOptions<D> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createSessionStore: options must be an object')
  }
  const engines = ['path', 'db', 'backend'].filter(
    (key) => options[key as keyof SessionStoreOptions<D>] !== undefined,
  )
  if (engines.length !== 1) {
    throw new TypeError(
      `createSessionStore: give exactly one of options.path, options.db and options.backend` +
        (engines.length > 1 ? ` (got ${engines.join(', ')})` : ''),
    )
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
    throw new TypeError('options.path must be a non-empty string')
  }
  if (options.db !== undefined && !isAbstractLevel(options.db)) {
    throw new TypeError('options.db must be an abstract-level database or sublevel')
  }
  if (options.backend !== undefined) assertBackend(options.backend)

  const maxAge = duration('maxAge', options.maxAge, DEFAULT_MAX_AGE, 1)
  const touchAfter = duration('touchAfter', options.touchAfter, defaultTouchAfter(maxAge), 0)
  if (touchAfter >= maxAge) {
    throw new RangeError(
      `options.touchAfter (${touchAfter} ms) must be less than options.maxAge (${maxAge} ms), ` +
        'or sessions in use would expire between skipped touches',
    )
  }
  const cleanupInterval = duration(
    'cleanupInterval',
    options.cleanupInterval,
    DEFAULT_CLEANUP_INTERVAL,
    0,
  )
  if (cleanupInterval > MAX_TIMER) {
    throw new RangeError(
      `options.cleanupInterval must be at most ${MAX_TIMER} ms (a timer's limit)`,
    )
  }
  return {
    maxAge,
    expiry: oneOf('expiry', options.expiry, ['sliding', 'fixed'] as const, 'sliding'),
    maxLifetime:
      options.maxLifetime === undefined
        ? undefined
        : duration('maxLifetime', options.maxLifetime, 0, 1),
    touchAfter,
    cleanupInterval,
    userId: optionalFunction('userId', options.userId),
    codec: codec(options.codec),
    durability: oneOf('durability', options.durability, ['relaxed', 'strict'] as const, 'relaxed'),
    maxSessionBytes: integer(
      'maxSessionBytes',
      options.maxSessionBytes,
      DEFAULT_MAX_SESSION_BYTES,
      1,
    ),
    cacheSize: integer('cacheSize', options.cacheSize, DEFAULT_CACHE_SIZE, 0),
    cacheBytes: integer('cacheBytes', options.cacheBytes, DEFAULT_CACHE_BYTES, 0),
    now: optionalFunction('now', options.now) ?? systemClock,
  }
}

/** Validates a per-call TTL in ms. */
export function ttlOption(value: unknown, fallback: number): number {
  return duration('ttl', value, fallback, 1)
}

function duration(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`options.${name} must be a number of milliseconds, got ${typeof value}`)
  }
  if (!Number.isFinite(value) || value < min || value > MAX_TTL) {
    throw new RangeError(`options.${name} must be between ${min} and ${MAX_TTL} ms, got ${value}`)
  }
  return Math.floor(value)
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`options.${name} must be a number, got ${typeof value}`)
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`options.${name} must be an integer of at least ${min}, got ${value}`)
  }
  return value
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T)) {
    const list = allowed.map((a) => `'${a}'`).join(' or ')
    const ErrorType = typeof value === 'string' ? RangeError : TypeError
    throw new ErrorType(
      `options.${name} must be ${list}, got ${JSON.stringify(value) ?? typeof value}`,
    )
  }
  return value as T
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`options.${name} must be a function, got ${typeof value}`)
  }
  return value
}

function codec<D>(value: Codec<D> | undefined): Codec<D> {
  if (value === undefined) return jsonCodec
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.encode !== 'function' ||
    typeof value.decode !== 'function'
  ) {
    throw new TypeError('options.codec must be an object with encode and decode functions')
  }
  return value
}

function isAbstractLevel(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const db = value as Record<string, unknown>
  return ['get', 'batch', 'iterator', 'sublevel'].every((m) => typeof db[m] === 'function')
}

const BACKEND_METHODS = [
  'open',
  'load',
  'update',
  'delete',
  'listUser',
  'entries',
  'count',
  'clear',
  'sweep',
  'close',
] as const

function assertBackend(value: unknown): void {
  if (value === null || typeof value !== 'object') {
    throw new TypeError('options.backend must be a Backend object')
  }
  const missing = BACKEND_METHODS.filter(
    (m) => typeof (value as Record<string, unknown>)[m] !== 'function',
  )
  if (missing.length > 0) {
    throw new TypeError(`options.backend is missing the method(s): ${missing.join(', ')}`)
  }
}

/**
 * Lazy touch by default: a touch that would move the expiry by less than a minute, or a tenth of
 * `maxAge` when that is shorter, writes nothing. Every request of an active session then costs a
 * write at most once a minute, and a session expires at most that much before `maxAge` after
 * its last use.
 */
export function defaultTouchAfter(maxAge: number): number {
  return Math.min(60_000, Math.floor(maxAge / 10))
}
