/**
 * @module
 * Reading a session hash (fields t, v, c, e, u) back into a `StoredSession`, and the write
 * tokens that let `update` detect a concurrent change.
 */
import { randomBytes } from 'node:crypto'
import type { StoredSession } from '@levelsession/core'

/** One HMGET of t, v, c, e, u; Buffers because the value may be binary. */
export type Fields = [Buffer | null, Buffer | null, Buffer | null, Buffer | null, Buffer | null]

/** What one read saw: the session (if readable) and the token a compare-and-set must match. */
export interface Snapshot {
  readonly token: string
  readonly session: StoredSession | undefined
  /** The key holds something that is not a complete record. */
  readonly corrupt: boolean
}

export const ABSENT: Snapshot = Object.freeze({ token: '', session: undefined, corrupt: false })

export function snapshot(id: string, [t, v, c, e, u]: Fields): Snapshot {
  if (t === null && v === null && c === null && e === null && u === null) return ABSENT
  const token = t?.toString() ?? ''
  const createdAt = c === null ? NaN : Number(c.toString())
  const expiresAt = e === null ? NaN : Number(e.toString())
  if (v === null || !Number.isSafeInteger(createdAt) || !Number.isSafeInteger(expiresAt)) {
    return { token, session: undefined, corrupt: true }
  }
  const session: StoredSession =
    u === null
      ? { id, value: v, createdAt, expiresAt }
      : { id, value: v, createdAt, expiresAt, userId: u.toString() }
  return { token, session, corrupt: false }
}

const processTag = randomBytes(9).toString('base64url')
let counter = 0

/** A token no other write (in any process) uses: 72 random bits per process plus a counter. */
export function newToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER
  return `${processTag}.${counter.toString(36)}`
}
