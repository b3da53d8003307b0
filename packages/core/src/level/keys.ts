/**
 * @module
 * Key layout of the Level backend. Expiry-index keys start with `expiresAt` zero-padded to a
 * fixed width, so byte order is time order and "everything expired" is one range.
 */

const WIDTH = 15
const SEPARATOR = ':'
/** NUL cannot occur in a user id (validated), so `userId + NUL` bounds exactly one user. */
const USER_SEPARATOR = '\u0000'
const USER_END = '\u0001'

export function expiryKey(expiresAt: number, id: string): string {
  return timeKey(expiresAt) + SEPARATOR + id
}

/** The smallest expiry-index key with this `expiresAt`. */
export function timeKey(expiresAt: number): string {
  return String(expiresAt).padStart(WIDTH, '0')
}

export function parseExpiryKey(key: string): { expiresAt: number; id: string } {
  return { expiresAt: Number(key.slice(0, WIDTH)), id: key.slice(WIDTH + 1) }
}

export function userKey(userId: string, id: string): string {
  return userId + USER_SEPARATOR + id
}

export function userRange(userId: string): { gte: string; lt: string } {
  return { gte: userId + USER_SEPARATOR, lt: userId + USER_END }
}

export function parseUserKey(key: string): { userId: string; id: string } {
  const at = key.indexOf(USER_SEPARATOR)
  return { userId: key.slice(0, at), id: key.slice(at + 1) }
}
