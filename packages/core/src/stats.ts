/**
 * @module
 * `StoreStats` counted from the sessions themselves: for a backend without counts of its own,
 * and for a Level index that may not match its sessions.
 */
import type { StoreStats, StoredSession } from './types.js'

/** Live and expired sessions, the live ones' expiry range, and the users owning live ones. */
export async function statsFromSessions(
  sessions: AsyncIterable<StoredSession>,
  isLive: (session: StoredSession) => boolean,
): Promise<Omit<StoreStats, 'schemaVersion'>> {
  let live = 0
  let expired = 0
  let earliestExpiry: number | undefined
  let latestExpiry: number | undefined
  const users = new Set<string>()
  for await (const s of sessions) {
    if (!isLive(s)) {
      expired++
      continue
    }
    live++
    earliestExpiry = Math.min(earliestExpiry ?? Infinity, s.expiresAt)
    latestExpiry = Math.max(latestExpiry ?? -Infinity, s.expiresAt)
    if (s.userId !== undefined) users.add(s.userId)
  }
  return { sessions: live, expired, earliestExpiry, latestExpiry, users: users.size }
}
