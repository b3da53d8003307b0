/**
 * @module
 * `import --from-redis <url>`: the sessions of another Redis session store, one that keeps each
 * session as a JSON string under `prefix + id` with the session's TTL on the key. That is
 * connect-redis's format (and that of most Redis stores for other frameworks). The source is
 * only read: its keys stay until they expire, so the app can still go back to its old store.
 */
import { isValidSessionId, type SessionSnapshot } from '@levelsession/core'
import type { AnyData } from './database.js'
import { type Connected, connectRedis } from './redis.js'
import type { ParsedLine } from './snapshot.js'

/** Keys asked for per SCAN call, and so read together. */
const SCAN_COUNT = 500

export interface RedisSource {
  url: string
  /** What every session key starts with: connect-redis's `prefix` (default `sess:`). */
  prefix: string
  cluster: boolean
  /** Path to the user id in the session data (`--user-field passport.user`), split on dots. */
  userField: string[] | undefined
  /** Lifetime of a session whose key never expires and whose cookie has no `expires`. */
  maxAge: number
}

/** One key of the source: a snapshot to restore, a reason to reject it, or gone meanwhile. */
export interface SourceItem {
  key: string
  parsed: ParsedLine | { ok: 'gone' }
}

/**
 * The source's sessions, a SCAN batch at a time. Keys of a `@levelsession/redis` store under
 * the same prefix (`prefix{n}...` and `prefixmeta`) are not sessions of the old store: skipped.
 */
export async function* redisSessions(
  source: RedisSource,
  connection: Connected,
): AsyncGenerator<SourceItem> {
  const pattern = `${escapeGlob(source.prefix)}*`
  // SCAN may return a key twice (while Redis resizes its table): each is read once.
  const seen = new Set<string>()
  for await (const keys of connection.scan(pattern, SCAN_COUNT)) {
    const own = keys.filter((key) => !isLayoutKey(key, source.prefix) && !seen.has(key))
    for (const key of own) seen.add(key)
    const now = Date.now()
    const replies = await Promise.all(
      own.map((key) =>
        Promise.all([
          connection.sendCommand(key, true, ['GET', key]).catch((error: unknown) => error),
          connection.sendCommand(key, true, ['PTTL', key]),
        ]),
      ),
    )
    for (const [i, key] of own.entries()) {
      const [value, ttl] = replies[i]!
      yield { key, parsed: toSnapshot(source, key, value, Number(ttl), now) }
    }
  }
}

/** Opens the source, runs `task`, and always closes the connection. */
export async function withRedisSource<T>(
  source: RedisSource,
  task: (connection: Connected) => Promise<T>,
): Promise<T> {
  const connection = await connectRedis(source.url, source.cluster)
  try {
    return await task(connection)
  } finally {
    await connection.close()
  }
}

/** The snapshot a key of the source gives, or why it cannot be imported. */
function toSnapshot(
  source: RedisSource,
  key: string,
  value: unknown,
  ttl: number,
  now: number,
): SourceItem['parsed'] {
  // A key that expired or was deleted between SCAN and GET.
  if (value === null || ttl === -2) return { ok: 'gone' }
  if (value instanceof Error) {
    return { ok: false, reason: `not a session: ${value.message.split('\n')[0]}` }
  }
  const id = key.slice(source.prefix.length)
  if (!isValidSessionId(id)) return { ok: false, reason: 'the key does not end in a session id' }
  if (typeof value !== 'string') return { ok: false, reason: 'not a string value' }
  let data: unknown
  try {
    data = JSON.parse(value)
  } catch (error) {
    return { ok: false, reason: `not a JSON session (${(error as Error).message})` }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, reason: 'not a JSON object' }
  }
  const expiresAt = ttl > 0 ? now + ttl : (cookieExpiry(data) ?? now + source.maxAge)
  // When the session began is not stored: a `maxLifetime` cap counts from the import.
  const snapshot: SessionSnapshot<AnyData> = {
    id,
    data: data as AnyData,
    createdAt: Math.min(now, expiresAt),
    expiresAt,
  }
  if (source.userField !== undefined) {
    const owner = userOf(data, source.userField)
    if (owner !== undefined) snapshot.userId = owner
  }
  return { ok: true, snapshot }
}

/** express-session's `cookie.expires`, for a key without a TTL (connect-redis `disableTTL`). */
function cookieExpiry(data: object): number | undefined {
  const cookie = (data as { cookie?: unknown }).cookie
  if (cookie === null || typeof cookie !== 'object') return undefined
  const expires = (cookie as { expires?: unknown }).expires
  if (typeof expires !== 'string' && typeof expires !== 'number') return undefined
  const at = new Date(expires).getTime()
  return Number.isSafeInteger(at) && at >= 0 ? at : undefined
}

/** The user id at `path` in the data: a non-empty string, or a finite number as a string. */
function userOf(data: object, path: string[]): string | undefined {
  let at: unknown = data
  for (const name of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, name)) return undefined
    at = (at as Record<string, unknown>)[name]
  }
  if (typeof at === 'number' && Number.isFinite(at)) return String(at)
  return typeof at === 'string' && at !== '' ? at : undefined
}

/** Whether `key` belongs to a `@levelsession/redis` store that shares the prefix. */
function isLayoutKey(key: string, prefix: string): boolean {
  const rest = key.slice(prefix.length)
  return rest.startsWith('{') || rest === 'meta'
}

/** `text` matched literally by a SCAN MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
