/**
 * @module
 * `verify()`: reads every key of the layout (SCAN on every master) and checks each session
 * against its index entries and each index entry against its session.
 */
import type { Connection } from './connection.js'
import { globEscape, type KeyLayout } from './keys.js'
import { parseRecord } from './record.js'

export async function verifyLayout(connection: Connection, keys: KeyLayout): Promise<string[]> {
  const problems: string[] = []
  const sessionKeys = new Set<string>()
  const userKeys = new Set<string>()
  for await (const key of connection.scan(`${globEscape(keys.prefix)}{*`)) {
    const parsed = keys.parse(key)
    if (parsed?.kind === 's') sessionKeys.add(key)
    else if (parsed?.kind === 'u') userKeys.add(key)
    else if (parsed === undefined) problems.push(`key ${key}: not part of the layout`)
  }
  for (let b = 0; b < keys.buckets; b++) {
    const expiryKey = keys.expiry(b)
    const ownersKey = keys.owners(b)
    const [flat, ownerList] = await Promise.all([
      connection.send<string[]>(expiryKey, ['ZRANGE', expiryKey, '0', '-1', 'WITHSCORES']),
      connection.send<string[]>(ownersKey, ['HGETALL', ownersKey]),
    ])
    const expiry = new Map<string, number>()
    for (let i = 0; i < flat.length; i += 2) expiry.set(flat[i]!, Number(flat[i + 1]))
    const owners = new Map<string, string>()
    for (let i = 0; i < ownerList.length; i += 2) owners.set(ownerList[i]!, ownerList[i + 1]!)

    const ids = [...sessionKeys]
      .map((key) => keys.parse(key)!)
      .filter((p) => p.bucket === b)
      .map((p) => p.name)
    const records = await Promise.all(
      ids.map(async (id) => {
        const key = keys.sessionBase(b) + id
        const [record, ttl] = await Promise.all([
          connection.send<Buffer | null>(key, ['GET', key], true),
          connection.send<number>(key, ['PTTL', key]),
        ])
        return { id, found: parseRecord(id, record === null ? null : Buffer.from(record)), ttl }
      }),
    )
    const users = [...userKeys]
      .map((key) => ({ key, parsed: keys.parse(key)! }))
      .filter(({ parsed }) => parsed.bucket === b)
    const members = await Promise.all(
      users.map(({ key }) => connection.send<string[]>(key, ['SMEMBERS', key])),
    )
    const userSets = new Map(users.map(({ parsed }, i) => [parsed.name, new Set(members[i])]))

    const live = new Set<string>()
    for (const { id, found, ttl } of records) {
      const session = found.session
      if (session === undefined) {
        if (ttl === -2) continue // expired between SCAN and read
        problems.push(`session ${id}: incomplete record`)
        continue
      }
      live.add(id)
      if (keys.bucketOf(id) !== b) problems.push(`session ${id}: stored in bucket ${b}`)
      if (ttl < 0) problems.push(`session ${id}: no native expiry`)
      const score = expiry.get(id)
      if (score === undefined) problems.push(`session ${id}: no expiry entry`)
      // The entry is a lower bound: a later write may have moved the expiry up.
      else if (score > session.expiresAt)
        problems.push(
          `session ${id}: expiry entry ${score}, after the session's expiry ${session.expiresAt}`,
        )
      if (owners.get(id) !== session.userId)
        problems.push(`session ${id}: owner entry ${owners.get(id)}, session of ${session.userId}`)
      if (session.userId !== undefined && userSets.get(session.userId)?.has(id) !== true)
        problems.push(`session ${id}: missing from the set of user ${session.userId}`)
    }
    // Native expiry removes a session's key alone and leaves its expiry entry (and owner entry)
    // for reads and sweeps. Redis counts the ttl on its own clock, so that can happen while the
    // store's clock (a test's frozen one) still calls the session live: an expiry entry without
    // a session is that footprint, whatever its score. An owner entry needs one beside it.
    for (const [id, user] of owners) {
      if (!live.has(id) && !expiry.has(id)) problems.push(`owner entry ${id}: no session`)
      if (userSets.get(user)?.has(id) !== true)
        problems.push(`owner entry ${id}: missing from the set of user ${user}`)
    }
    for (const [user, set] of userSets) {
      for (const id of set) {
        if (owners.get(id) !== user)
          problems.push(`user ${user} entry ${id}: owner entry says ${owners.get(id) ?? 'nobody'}`)
      }
    }
  }
  return problems
}
