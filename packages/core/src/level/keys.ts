/**
 * @module
 * Key layout of the Level backend. Expiry-index keys start with the session's expiry bucket (its
 * `expiresAt` rounded up to the minute) zero-padded to a fixed width, so byte order is time order
 * and "everything expired" is one range plus one bucket to check. A write that moves an expiry
 * within its minute (every request of an active session) leaves the index as it is.
 */

/** Width of an expiry bucket in ms. Changing it changes the stored format (a schema version). */
export const EXPIRY_BUCKET = 60_000
const WIDTH = 15
const SEPARATOR = ':'
/** NUL cannot occur in a user id (validated), so `userId + NUL` bounds exactly one user. */
const USER_SEPARATOR = '\u0000'
const USER_END = '\u0001'

/** The end of the bucket holding `expiresAt`: no session in it expires later. */
export function bucketOf(expiresAt: number): number {
  return Math.ceil(expiresAt / EXPIRY_BUCKET) * EXPIRY_BUCKET
}

export function expiryKey(expiresAt: number, id: string): string {
  return timeKey(bucketOf(expiresAt)) + SEPARATOR + id
}

/** The smallest expiry-index key of a bucket (or of any time, for range bounds). */
export function timeKey(time: number): string {
  return String(time).padStart(WIDTH, '0')
}

export function parseExpiryKey(key: string): { bucket: number; id: string } {
  return { bucket: Number(key.slice(0, WIDTH)), id: key.slice(WIDTH + 1) }
}

/** Reads a schema-1 key, whose leading time was the exact `expiresAt`. */
export function parseExactExpiryKey(key: string): { expiresAt: number; id: string } {
  return { expiresAt: Number(key.slice(0, WIDTH)), id: key.slice(WIDTH + 1) }
}

/**
 * Expiry-index values name the session's owner, so a sweep deletes an expired session and its
 * user-index entry without reading the session (reads of random keys set off LevelDB's seek
 * compactions, which compete with the server for CPU). Never empty: see INDEX_VALUE.
 */
const NO_OWNER = '-'
const OWNER_PREFIX = '='

export function expiryValue(userId: string | undefined): string {
  return userId === undefined ? NO_OWNER : OWNER_PREFIX + userId
}

/**
 * The owner an expiry-index value names: a user id, `null` for none, or `undefined` when the
 * value does not say (entries written before values named owners hold '1').
 */
export function ownerOf(value: string): string | null | undefined {
  if (value === NO_OWNER) return null
  return value.startsWith(OWNER_PREFIX) ? value.slice(OWNER_PREFIX.length) : undefined
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
