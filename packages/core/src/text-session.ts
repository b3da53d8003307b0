/**
 * @module
 * A stored session whose data is text. Bytes would live off the V8 heap, each in its own
 * allocation (about 2 KB of process memory per cached session); a string costs about a quarter of
 * that. The bytes are made again only when asked for; the Level backend writes records straight
 * from the text.
 */
import { type Encoded, EncodedText, losslessText, utf8Bytes } from './codec.js'
import type { StoredSession } from './types.js'

export class TextSession implements StoredSession {
  readonly id: string
  /** Exactly what `value` encodes (never a lossy decoding). */
  readonly text: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly userId?: string

  constructor(
    id: string,
    text: string,
    createdAt: number,
    expiresAt: number,
    userId: string | undefined,
  ) {
    this.id = id
    this.text = text
    this.createdAt = createdAt
    this.expiresAt = expiresAt
    if (userId !== undefined) this.userId = userId
  }

  get value(): Uint8Array {
    return utf8Bytes(this.text)
  }
}

/**
 * The text whose UTF-8 is exactly `encoded.value`, when core knows it without encoding or
 * decoding (a text codec's output, or a session the store keeps as text); else `undefined`. For
 * backends: reading `value` of such a session encodes the text again.
 */
export function exactText(encoded: Encoded): string | undefined {
  return encoded instanceof EncodedText || encoded instanceof TextSession ? encoded.text : undefined
}

/** A session known to be text (a text codec produced it): keeps the string, drops the bytes. */
export function compactSession(session: StoredSession): StoredSession {
  if (session.text === undefined || session instanceof TextSession) return session
  return new TextSession(
    session.id,
    session.text,
    session.createdAt,
    session.expiresAt,
    session.userId,
  )
}

/**
 * A session read from disk, as text when its bytes are UTF-8 that decodes and encodes back to
 * the same bytes (no byte-order mark); otherwise as it is.
 */
export function textSession(session: StoredSession): StoredSession {
  const text = losslessText(session.value)
  return text === undefined
    ? session
    : new TextSession(session.id, text, session.createdAt, session.expiresAt, session.userId)
}

/**
 * What a session kept in memory counts for: its bytes, or for a text session two per character
 * (what V8 may use for a string), its id, and a fixed share for the objects around them. For
 * caches bounded by bytes.
 */
export function storedSessionBytes(session: StoredSession): number {
  const text = exactText(session)
  return (
    128 + 2 * session.id.length + (text === undefined ? session.value.byteLength : 2 * text.length)
  )
}
