/**
 * @module
 * The cache's form of a session whose data is text. Bytes would live off the V8 heap, each in its
 * own allocation (about 2 KB of process memory per cached session); a string costs about a
 * quarter of that. The bytes are made again only when asked for.
 */
import { losslessText, utf8Bytes } from '../codec.js'
import type { StoredSession } from '../types.js'

class TextSession implements StoredSession {
  readonly id: string
  readonly text: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly userId?: string

  constructor(session: StoredSession, text: string) {
    this.id = session.id
    this.text = text
    this.createdAt = session.createdAt
    this.expiresAt = session.expiresAt
    if (session.userId !== undefined) this.userId = session.userId
  }

  get value(): Uint8Array {
    return utf8Bytes(this.text)
  }
}

/** A session known to be text (a text codec produced it): keeps the string, drops the bytes. */
export function compactSession(session: StoredSession): StoredSession {
  if (session.text === undefined || session instanceof TextSession) return session
  return new TextSession(session, session.text)
}

/**
 * A session read from disk, as text when its bytes are UTF-8 that decodes and encodes back to
 * the same bytes (no byte-order mark); otherwise as it is.
 */
export function textSession(session: StoredSession): StoredSession {
  const text = losslessText(session.value)
  return text === undefined ? session : new TextSession(session, text)
}
