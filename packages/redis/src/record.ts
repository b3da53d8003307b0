/**
 * @module
 * The stored form of a session: one string value, `token \0 createdAt \0 expiresAt \0 userId \0`
 * followed by the encoded data, so a read is one GET and a write one SET (the data may be
 * binary: it comes last and is never scanned). The write token lets `update` detect a
 * concurrent change.
 */
import { randomBytes } from 'node:crypto'
import { exactText, type StoredSession, textSession } from '@levelsession/core'

/** What one read saw: the session (if readable) and the token a compare-and-set must match. */
export interface Snapshot {
  /** The record's bytes up to its first NUL (latin1); '' when there is no record. */
  readonly token: string
  readonly session: StoredSession | undefined
  /** The key holds something that is not a complete record. */
  readonly corrupt: boolean
  /** For a corrupt one: the bytes a compare-and-set must find (see `expectedOf`). */
  readonly raw?: Buffer
  /**
   * `monotonic()` (timers.ts) when this process last saw Redis hold exactly this record (read or
   * written it); a hint's answer to a touch that writes nothing (see `UpdateOptions.recentMs`).
   */
  confirmedAt?: number
  /**
   * The read cache's epoch (tracking.ts) in which this record came over the tracking
   * connection; while that epoch lasts and no invalidation removed it, it answers loads.
   */
  epoch?: number
}

export const ABSENT: Snapshot = Object.freeze({ token: '', session: undefined, corrupt: false })

const NUL = 0
const ZERO = 0x30
const NINE = 0x39

/** Reads a decimal field ending at a NUL from `start`; [value, index of the NUL] or undefined. */
function readNumber(record: Buffer, start: number): [number, number] | undefined {
  let value = 0
  let i = start
  for (; i < record.length; i++) {
    const c = record[i]!
    if (c === NUL) break
    if (c < ZERO || c > NINE) return undefined
    value = value * 10 + (c - ZERO)
  }
  if (i === start || i === record.length || !Number.isSafeInteger(value)) return undefined
  return [value, i]
}

/**
 * Parses a stored record. The session's `value` is a view of `record` (no copy): callers that
 * keep it (the hint cache) get it from a record of their own.
 */
export function parseRecord(id: string, record: Buffer | null): Snapshot {
  if (record === null) return ABSENT
  let end = record.indexOf(NUL)
  if (end < 0) end = record.length
  const token = record.toString('latin1', 0, end)
  const created = end < record.length ? readNumber(record, end + 1) : undefined
  const expires = created === undefined ? undefined : readNumber(record, created[1] + 1)
  const userEnd = expires === undefined ? -1 : record.indexOf(NUL, expires[1] + 1)
  if (token === '' || expires === undefined || userEnd < 0) {
    // A copy: the reply may be a view of node-redis's read buffer.
    const raw = Buffer.from(end < record.length ? record.subarray(0, end + 1) : record)
    return { token, session: undefined, corrupt: true, raw }
  }
  const userStart = expires[1] + 1
  const value = record.subarray(userEnd + 1)
  const session: StoredSession =
    userEnd === userStart
      ? { id, value, createdAt: created![0], expiresAt: expires[0] }
      : {
          id,
          value,
          createdAt: created![0],
          expiresAt: expires[0],
          userId: record.toString('utf8', userStart, userEnd),
        }
  return { token, session, corrupt: false }
}

/**
 * A record to keep (a hint), holding nothing of `record`, which may be a view of node-redis's read
 * buffer: its data as text when the bytes are UTF-8 that encodes back to them (what core decodes
 * a text codec's data to anyway, and about half the memory of bytes kept beside it), else with a
 * copy of its bytes.
 */
export function keptRecord(id: string, record: Buffer): Snapshot {
  const parsed = parseRecord(id, record)
  const { session } = parsed
  // A corrupt record's `raw` is a copy already.
  if (session === undefined) return parsed
  const text = textSession(session)
  if (text !== session) return { token: parsed.token, session: text, corrupt: false }
  // Bytes of its own, not a slice of Buffer's shared pool, which one kept slice would hold whole.
  const value = Buffer.allocUnsafeSlow(session.value.byteLength)
  value.set(session.value)
  return { token: parsed.token, session: { ...session, value }, corrupt: false }
}

/** Whether `record` was written under `token` (its bytes up to the first NUL), without copying. */
export function hasToken(record: Buffer, token: string): boolean {
  const n = token.length
  if (n === 0 || record.length <= n || record[n] !== NUL) return false
  for (let i = 0; i < n; i++) if (record[i] !== token.charCodeAt(i)) return false
  return true
}

/**
 * The stored form of `session` under a new write `token`. When the session carries the text its
 * bytes encode (`text`, set by core for text codecs), the record is a string: node-redis then
 * writes the whole command as one chunk, and nothing is copied here.
 */
export function encodeRecord(token: string, session: StoredSession): Buffer | string {
  const { userId } = session
  if (userId?.includes('\0') === true) {
    // Core refuses such user ids; a NUL would shift every later field.
    throw new TypeError('a user id must not contain U+0000')
  }
  const head = `${token}\0${session.createdAt}\0${session.expiresAt}\0${userId ?? ''}\0`
  // Text core vouches for is written as it is, without making its bytes.
  const exact = exactText(session)
  if (exact !== undefined) return head + exact
  const { value, text } = session
  // The length check guards against a stale `text` hint carried over by a spread.
  if (typeof text === 'string' && Buffer.byteLength(text) === value.byteLength) return head + text
  const headBytes = userId === undefined ? head.length : Buffer.byteLength(head)
  const record = Buffer.allocUnsafe(headBytes + value.byteLength)
  record.write(head, 0, userId === undefined ? 'latin1' : 'utf8')
  record.set(value, headBytes)
  return record
}

/**
 * What a compare-and-set expects to find, as a script argument: '' for no session, the token and
 * its NUL for a record, and for a corrupt value its token bytes and NUL, or the whole value when
 * it has no NUL (see CHECK in scripts.ts).
 */
export function expectedOf(seen: Snapshot): string | Buffer {
  if (seen.raw !== undefined) return seen.raw
  return seen.session === undefined ? '' : `${seen.token}\0`
}

const processTag = randomBytes(9).toString('base64url')
let counter = 0

/** A token no other write (in any process) uses: 72 random bits per process plus a counter. */
export function newToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER
  return `${processTag}.${counter.toString(36)}`
}
