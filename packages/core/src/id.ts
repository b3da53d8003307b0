/**
 * @module
 * Session ids: generation and the validity rule every entry point applies before an id can
 * reach storage as a key.
 */
import { randomBytes } from 'node:crypto'

/** Longest id accepted, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256

/** A new session id: 192 random bits from the system CSPRNG, 32 URL-safe base64 characters. */
export function generateSessionId(): string {
  return randomBytes(24).toString('base64url')
}

/**
 * True for a non-empty string of at most 256 characters without lone surrogates (which UTF-8
 * would fold into U+FFFD, making two ids share one key).
 */
export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && id.isWellFormed()
}
