/**
 * @module
 * `import --from-redis <url>`: the sessions of another Redis session store, one that keeps each
 * session as a JSON string under `prefix + id` with the session's TTL on the key. That is
 * connect-redis's format (and that of most Redis stores for other frameworks). The source is
 * only read: its keys stay until they expire, so the app can still go back to its old store.
 */
import { isValidSessionId, type SessionSnapshot } from '@levelsession/core'
import { ErrorReply } from 'redis'
import type { AnyData } from './database.js'
import { type Connected, connectRedis } from './redis.js'
import { jsonErrorPlace, type ParsedLine } from './snapshot.js'

/** Keys asked for per SCAN call, and so read together. */
const SCAN_COUNT = 500
/** A longer value is not a session: refused without being read (as an import line over this). */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024
/** Bytes of values one pipeline of GETs asks for (a single larger value goes alone). */
const READ_BYTES = 4 * 1024 * 1024

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

/**
 * What one key of the source gives: a snapshot to restore (`ownerless` when `userField` found no
 * id in it), a reason to refuse it, `gone` (expired or deleted since SCAN saw it) or `ignored`
 * (a key of a `@levelsession/redis` store that shares the prefix).
 */
export interface SourceItem {
  key: string
  parsed: ParsedLine | { ok: 'gone' } | { ok: 'ignored' }
  ownerless?: boolean
}

/**
 * The source's sessions, a SCAN batch at a time: first each key's type and size (STRLEN) and
 * TTL, then the values of the string keys small enough to be sessions. A reply error (a key of
 * another type) concerns that key alone; any other failure (a lost connection) ends the scan.
 * SCAN may return a key twice; it is then read twice.
 */
export async function* redisSessions(
  source: RedisSource,
  connection: Connected,
): AsyncGenerator<SourceItem> {
  const pattern = `${escapeGlob(source.prefix)}*`
  for await (const keys of connection.scan(pattern, SCAN_COUNT)) {
    const candidates: string[] = []
    for (const key of keys) {
      if (isLayoutKey(key.slice(source.prefix.length))) yield { key, parsed: { ok: 'ignored' } }
      else candidates.push(key)
    }
    const sizes = await Promise.all(
      candidates.map((key) =>
        Promise.all([
          connection.sendCommand(key, true, ['STRLEN', key]).catch(replyError),
          connection.sendCommand(key, true, ['PTTL', key]),
        ]),
      ),
    )
    // Values are read a slice of at most READ_BYTES at a time, and handed on before the next:
    // a batch of large values neither fills memory nor waits behind the others' transfer
    // (each read must answer within the CLI's reply timeout).
    const readable = (i: number) => {
      const [size] = sizes[i]!
      return typeof size === 'number' && size <= MAX_VALUE_BYTES ? size : undefined
    }
    let start = 0
    while (start < candidates.length) {
      const first = start
      let end = start
      let bytes = 0
      while (
        end < candidates.length &&
        (end === start || bytes + (readable(end) ?? 0) <= READ_BYTES)
      ) {
        bytes += readable(end) ?? 0
        end++
      }
      const slice = candidates.slice(first, end)
      const values = await Promise.all(
        slice.map((key, j) =>
          readable(first + j) === undefined
            ? sizes[first + j]![0]
            : connection.sendCommand(key, true, ['GET', key]).catch(replyError),
        ),
      )
      const now = Date.now()
      for (const [j, key] of slice.entries()) {
        yield toItem(source, key, values[j], Number(sizes[first + j]![1]), now)
      }
      start = end
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

/** Redis's answer about one key (WRONGTYPE): a value for that key; anything else is thrown. */
function replyError(error: unknown): ErrorReply {
  if (error instanceof ErrorReply) return error
  throw error
}

/**
 * What a key of the source gives. `value` is its string, `null` when it is gone, a number
 * (its size) when it was too large to read, or Redis's error reply about it.
 */
export function toItem(
  source: RedisSource,
  key: string,
  value: unknown,
  ttl: number,
  now: number,
): SourceItem {
  const refuse = (reason: string): SourceItem => ({ key, parsed: { ok: false, reason } })
  // PTTL -2: expired or deleted since SCAN saw it.
  if (value === null || ttl === -2) return { key, parsed: { ok: 'gone' } }
  if (value instanceof Error) {
    // @levelsession/redis keeps its settings in a hash named `<prefix>meta`.
    if (key === `${source.prefix}meta` && value.message.startsWith('WRONGTYPE')) {
      return { key, parsed: { ok: 'ignored' } }
    }
    return refuse(`not a session: ${value.message.split('\n')[0]}`)
  }
  if (typeof value === 'number') {
    return refuse(
      `a value of ${value} bytes, over ${MAX_VALUE_BYTES / 1024 / 1024} MiB: not a session`,
    )
  }
  if (typeof value !== 'string') return refuse('not a string value')
  const id = key.slice(source.prefix.length)
  if (!isValidSessionId(id)) return refuse('the key does not end in a session id')
  let data: unknown
  try {
    data = JSON.parse(value)
  } catch (error) {
    return refuse(`not a JSON session${jsonErrorPlace(error)}`)
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return refuse('not a JSON object')
  }
  // PTTL 0 is the key's last millisecond: expired, not "no TTL" (-1).
  const expiresAt = ttl >= 0 ? now + ttl : (cookieExpiry(data) ?? now + source.maxAge)
  // When the session began is not stored: a `maxLifetime` cap counts from the import.
  const snapshot: SessionSnapshot<AnyData> = {
    id,
    data: data as AnyData,
    createdAt: Math.min(now, expiresAt),
    expiresAt,
  }
  if (source.userField === undefined) return { key, parsed: { ok: true, snapshot } }
  const owner = userOf(data, source.userField)
  if (owner !== undefined) snapshot.userId = owner
  return { key, parsed: { ok: true, snapshot }, ownerless: owner === undefined }
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

/**
 * Whether the part of a key after the prefix names a key of a `@levelsession/redis` store (layout
 * 2: `{bucket}s:<id>`, `{bucket}x`, `{bucket}o`, `{bucket}u:<user>`). Its `meta` hash is told
 * apart by its type (see `toItem`).
 */
function isLayoutKey(rest: string): boolean {
  return /^\{\d+\}(?:s:.|u:.|x$|o$)/s.test(rest)
}

/** `text` matched literally by a SCAN MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
