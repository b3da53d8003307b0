import { ErrorReply } from 'redis'
import { describe, expect, it } from 'vitest'
import type { Connected } from './redis.js'
import {
  MAX_VALUE_BYTES,
  type RedisSource,
  redisSessions,
  type SourceItem,
  toItem,
} from './redis-source.js'

const NOW = 1_800_000_000_000
const source: RedisSource = {
  url: 'redis://h',
  prefix: 'sess:',
  cluster: false,
  userField: undefined,
  maxAge: 60_000,
}
const item = (value: unknown, ttl = 1_000, key = 'sess:abc', options: Partial<RedisSource> = {}) =>
  toItem({ ...source, ...options }, key, value, ttl, NOW)
const snapshotOf = (i: SourceItem) => {
  if (i.parsed.ok !== true) throw new Error(`not a snapshot: ${JSON.stringify(i.parsed)}`)
  return i.parsed.snapshot
}

describe('toItem', () => {
  it('a key gone since SCAN listed it', () => {
    expect(item(null).parsed).toEqual({ ok: 'gone' })
    expect(item('{}', -2).parsed).toEqual({ ok: 'gone' })
  })

  it("lifetime: the key's TTL, 0 included; without one the cookie's expires, else maxAge", () => {
    expect(snapshotOf(item('{"cookie":{}}', 5_000))).toMatchObject({
      createdAt: NOW,
      expiresAt: NOW + 5_000,
    })
    // PTTL 0 is the last millisecond: expired on arrival, not "no TTL".
    expect(snapshotOf(item('{"cookie":{}}', 0)).expiresAt).toBe(NOW)
    const expires = new Date(NOW + 7_000).toISOString()
    expect(snapshotOf(item(JSON.stringify({ cookie: { expires } }), -1)).expiresAt).toBe(
      NOW + 7_000,
    )
    expect(snapshotOf(item(JSON.stringify({ cookie: { expires: 'garbage' } }), -1)).expiresAt).toBe(
      NOW + 60_000,
    )
    expect(snapshotOf(item('{}', -1)).expiresAt).toBe(NOW + 60_000)
    // An expiry already past: created then, so restore sees an expired session (and skips it).
    expect(
      snapshotOf(
        item(JSON.stringify({ cookie: { expires: new Date(NOW - 10).toISOString() } }), -1),
      ),
    ).toMatchObject({
      createdAt: NOW - 10,
      expiresAt: NOW - 10,
    })
  })

  it('refuses what is not a session, naming why', () => {
    const reason = (i: SourceItem) => (i.parsed.ok === false ? i.parsed.reason : undefined)
    expect(
      reason(
        item(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value')),
      ),
    ).toMatch(/^not a session: WRONGTYPE/)
    expect(reason(item(MAX_VALUE_BYTES + 1))).toMatch(/over 64 MiB/)
    expect(reason(item('nope'))).toMatch(/^not a JSON session/)
    expect(reason(item('null'))).toBe('not a JSON object')
    expect(reason(item('"text"'))).toBe('not a JSON object')
    expect(reason(item('{}', 1_000, `sess:${'x'.repeat(257)}`))).toBe(
      'the key does not end in a session id',
    )
  })

  it("ignores @levelsession/redis's meta hash, not a string key named meta", () => {
    const wrongType = new ErrorReply(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    )
    expect(item(wrongType, -1, 'sess:meta').parsed).toEqual({ ok: 'ignored' })
    expect(snapshotOf(item('{"n":1}', 1_000, 'sess:meta')).id).toBe('meta')
  })

  it('owners from --user-field: own properties only, strings and finite numbers', () => {
    const owner = (data: unknown, path: string[]) =>
      item(JSON.stringify(data), 1_000, 'sess:abc', { userField: path })
    expect(owner({ passport: { user: 'ann' } }, ['passport', 'user'])).toMatchObject({
      ownerless: false,
    })
    expect(snapshotOf(owner({ passport: { user: 'ann' } }, ['passport', 'user'])).userId).toBe(
      'ann',
    )
    expect(snapshotOf(owner({ id: 42 }, ['id'])).userId).toBe('42')
    for (const [data, path] of [
      [{ passport: { user: { id: 1 } } }, ['passport', 'user']], // serializeUser kept an object
      [{ passport: {} }, ['passport', 'user']],
      [{ id: '' }, ['id']],
      [{ id: null }, ['id']],
      [{}, ['constructor']], // inherited, not the session's
      [{ a: 'x' }, ['a', 'length']], // a string's own property is not followed
    ] as const) {
      const result = owner(data, [...path])
      expect(result.ownerless, JSON.stringify(data)).toBe(true)
      expect(snapshotOf(result).userId).toBeUndefined()
    }
    // Without --user-field nothing is said about owners.
    expect(item('{"id":1}').ownerless).toBeUndefined()
  })
})

/** A source connection that serves `values` (key -> string) and fails as told. */
function fakeConnection(
  keys: string[],
  fail?: (command: string[]) => Error | undefined,
): Connected {
  const values = new Map(keys.map((k) => [k, JSON.stringify({ cookie: {}, key: k })]))
  return {
    raw: undefined as never,
    scan: async function* () {
      yield await Promise.resolve(keys)
    },
    sendCommand(_key, _readonly, args) {
      const failure = fail?.(args)
      if (failure !== undefined) return Promise.reject(failure)
      const value = values.get(args[1]!)
      if (args[0] === 'STRLEN') return Promise.resolve(value?.length ?? 0)
      if (args[0] === 'PTTL') return Promise.resolve(value === undefined ? -2 : 10_000)
      return Promise.resolve(value ?? null)
    },
    close: () => Promise.resolve(),
  }
}

const collect = async (connection: Connected) => {
  const items: SourceItem[] = []
  for await (const i of redisSessions(source, connection)) items.push(i)
  return items
}

describe('redisSessions', () => {
  it("skips exactly the keys of @levelsession/redis's layout under the prefix", async () => {
    const layout = ['sess:{3}s:abc', 'sess:{3}x', 'sess:{12}o', 'sess:{0}u:ann']
    const sessions = ['sess:abc', 'sess:{custom}7', 'sess:{3}', 'sess:{3}xy', 'sess:{3}s:']
    const items = await collect(fakeConnection([...layout, ...sessions]))
    expect(items.filter((i) => i.parsed.ok === 'ignored').map((i) => i.key)).toEqual(layout)
    expect(items.filter((i) => i.parsed.ok === true).map((i) => i.key)).toEqual(sessions)
  })

  it("a reply error is that key's; any other failure ends the scan", async () => {
    const wrongType = new ErrorReply(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    )
    const items = await collect(
      fakeConnection(['sess:a', 'sess:b'], (args) =>
        args[0] === 'STRLEN' && args[1] === 'sess:b' ? wrongType : undefined,
      ),
    )
    expect(items.map((i) => i.parsed.ok)).toEqual([true, false])
    const lost = new Error('Socket closed unexpectedly')
    await expect(
      collect(fakeConnection(['sess:a'], (args) => (args[0] === 'GET' ? lost : undefined))),
    ).rejects.toBe(lost)
    await expect(
      collect(fakeConnection(['sess:a'], (args) => (args[0] === 'PTTL' ? lost : undefined))),
    ).rejects.toBe(lost)
  })

  it('reads no value over the size limit', async () => {
    const asked: string[] = []
    const connection = fakeConnection(['sess:big'], (args) => {
      asked.push(args[0]!)
      return undefined
    })
    const sized: Connected = {
      ...connection,
      sendCommand: (key, readonly, args) =>
        args[0] === 'STRLEN'
          ? Promise.resolve(MAX_VALUE_BYTES + 1)
          : connection.sendCommand(key, readonly, args),
    }
    const items = await collect(sized)
    expect(items[0]!.parsed).toMatchObject({ ok: false })
    expect(asked).not.toContain('GET')
  })

  it('asks for at most 4 MiB of values at a time (one larger value alone), in order', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `sess:${i}`)
    const connection = fakeConnection(keys)
    // Each value claims 1.5 MiB: two fit in a slice, a third does not.
    const MiB = 1024 * 1024
    let inFlight = 0
    let most = 0
    const sized: Connected = {
      ...connection,
      async sendCommand(key, readonly, args) {
        if (args[0] === 'STRLEN') return 1.5 * MiB
        if (args[0] !== 'GET') return connection.sendCommand(key, readonly, args)
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setImmediate(resolve))
        inFlight--
        return connection.sendCommand(key, readonly, args)
      },
    }
    const items = await collect(sized)
    expect(items.map((i) => i.key)).toEqual(keys)
    expect(items.every((i) => i.parsed.ok === true)).toBe(true)
    expect(most).toBe(2)
  })
})
