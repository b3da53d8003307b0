import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createClient, createCluster } from 'redis'
import {
  createSessionStore,
  type SessionData,
  type SessionStore,
  type StoredSession,
} from '@levelsession/core'
import { redisBackend, type RedisBackend } from '@levelsession/redis'
import {
  hasRedisServer,
  missingRedisServer,
  type RedisClusterServers,
  type RedisServer,
  startCluster,
  startStandalone,
} from '@levelsession/redis/testing'

let prefixes = 0
const prefix = () => `t${++prefixes}:`

/** Polls until `check` holds; the tests wait for Redis's own expiry, never for a fixed time. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('condition never held')
}

describe.skipIf(!hasRedisServer)('redis backend on a standalone server', () => {
  let server: RedisServer
  let client: ReturnType<typeof createClient>
  const stores: SessionStore<SessionData>[] = []
  const open = (options: Parameters<typeof redisBackend>[0], extra: object = {}) => {
    const store = createSessionStore<SessionData>({
      cleanupInterval: 0,
      userId: (d) => d.user as string | undefined,
      ...extra,
      backend: redisBackend(options),
    })
    stores.push(store)
    return store
  }

  beforeAll(async () => {
    server = await startStandalone()
    client = await createClient({ url: server.url, disableOfflineQueue: true })
      .on('error', () => undefined)
      .connect()
  })
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
    client?.destroy()
    await server?.stop()
  })

  it('writes the documented key layout with native expiry at expiresAt', async () => {
    const store = open({ client, prefix: 'layout:' })
    const saved = await store.set('abc', { user: 'ann', n: 1 })
    const keys = (store.backend as RedisBackend).keys
    const b = keys.bucketOf('abc')
    const key = `layout:{${b}}s:abc`
    const record = await client.get(key)
    const [token, ...fields] = record!.split('\0')
    expect(token).toMatch(/\S/)
    expect(fields).toEqual([
      String(saved.createdAt),
      String(saved.expiresAt),
      'ann',
      '{"user":"ann","n":1}',
    ])
    // Sent as a time to live from the store's clock: Redis's expiry instant is at most the
    // round trip later.
    expect(await client.pExpireTime(key)).toBeGreaterThanOrEqual(saved.expiresAt)
    expect(await client.pExpireTime(key)).toBeLessThan(saved.expiresAt + 1_000)
    expect(await client.zScore(`layout:{${b}}x`, 'abc')).toBe(saved.expiresAt)
    expect(await client.hGet(`layout:{${b}}o`, 'abc')).toBe('ann')
    expect(await client.sMembers(`layout:{${b}}u:ann`)).toEqual(['abc'])
    expect(await client.hGetAll('layout:meta')).toEqual({ layout: '2', buckets: '16' })
    await store.destroy('abc')
    expect(await client.keys('layout:{*')).toEqual([])
  })

  it("expires natively after the session's ttl on the store's clock, not Redis's", async () => {
    const YEAR = 365 * 86_400_000
    const maxAge = 600_000
    const check = async (store: SessionStore<SessionData>, id: string, label: string) => {
      const key = (store.backend as RedisBackend).keys.session(id)
      const pttl = await client.pTTL(key)
      expect(pttl, label).toBeGreaterThan(maxAge - 5_000)
      expect(pttl, label).toBeLessThanOrEqual(maxAge)
    }
    for (const [label, offset] of [
      ['a year behind', -YEAR],
      ['a year ahead', YEAR],
    ] as const) {
      // An injected clock apart from Redis's (as a test's clock often is).
      const store = open({ client, prefix: 'clock:' }, { maxAge, now: () => Date.now() + offset })
      const id = `c${offset > 0 ? 'a' : 'b'}`
      await store.set(id, { user: 'ann', n: 1 }) // a new session: the general script
      await check(store, id, `${label}: set`)
      await store.set(id, { user: 'ann', n: 2 }) // the same owner, later expiry: the lean one
      await check(store, id, `${label}: set again`)
      await store.touch(id, { ttl: maxAge * 2 })
      expect(await client.pTTL((store.backend as RedisBackend).keys.session(id))).toBeGreaterThan(
        maxAge,
      )
      await store.touch(id)
      const backend = store.backend as RedisBackend
      await backend.save(`${id}s`, {
        now: Date.now() + offset,
        ttl: maxAge,
        fixed: false,
        value: Buffer.from('{}'),
      })
      await check(store, `${id}s`, `${label}: save`)
      expect((await store.get(id))?.data, label).toEqual({ user: 'ann', n: 2 })
    }
    // The default clock under an app test's fake Date, moved into the past.
    const store = open({ client, prefix: 'clock:' }, { maxAge })
    vi.useFakeTimers({ now: Date.now() - YEAR, toFake: ['Date'] })
    try {
      await store.set('cf', { n: 3 })
      await check(store, 'cf', 'fake Date: set')
      expect((await store.get('cf'))?.data).toEqual({ n: 3 })
    } finally {
      vi.useRealTimers()
    }
  })

  it('cleans the indexes of sessions that Redis expired natively, on read and on prune', async () => {
    // The real clock: Redis removes the session keys itself.
    const store = open({ client, prefix: 'native:' }, { maxAge: 200 })
    const expired: string[] = []
    store.on('expired', (e) => expired.push(`${e.id}:${e.reason}:${e.userId ?? '-'}`))
    await store.set('n1', { user: 'ann' })
    await store.set('n2', { user: 'bob' })
    await until(async () => (await client.keys('native:{*}s:*')).length === 0)
    // Entries are still there until someone reads or sweeps; verify accepts them.
    expect((await client.keys('native:{*}u:*')).length).toBe(2)
    expect(await store.backend.verify!()).toEqual([])
    expect(await store.listUser('ann')).toEqual([])
    expect((await client.keys('native:{*}u:*')).length).toBe(1)
    expect(await store.prune()).toMatchObject({ scanned: 1, deleted: 1 })
    expect(expired).toEqual(['n2:prune:bob'])
    expect((await client.keys('native:*')).sort()).toEqual(['native:meta'])
  })

  it("verify accepts native expiry's footprint under a frozen clock, and reports real damage", async () => {
    // A test's clock, a day ahead, that never moves: Redis still expires a 1 ms session on its
    // own clock.
    const frozen = Date.now() + 86_400_000
    const store = open(
      { client, prefix: 'damage:' },
      { now: () => frozen, userId: (d: { user?: string }) => d.user },
    )
    await store.set('gone', { user: 'ann' }, { ttl: 1 })
    await store.set('kept', { user: 'bob' })
    const keys = (store.backend as RedisBackend).keys
    await until(async () => (await client.exists(keys.session('gone'))) === 0)
    expect(await store.backend.verify!()).toEqual([])
    // Damage that no write or expiry leaves behind is reported, each kind once.
    const b = keys.bucketOf('kept')
    await client.zRem(keys.expiry(b), 'kept')
    await client.hSet(keys.owners(keys.bucketOf('lost')), 'lost', 'cy')
    await client.sAdd(keys.user(keys.bucketOf('odd'), 'dan'), 'odd')
    expect((await store.backend.verify!()).sort()).toEqual([
      'owner entry lost: missing from the set of user cy',
      'owner entry lost: no session',
      'session kept: no expiry entry',
      'user dan entry odd: owner entry says nobody',
    ])
  })

  it('set, and get then set or touch, take one round trip each; without hints two', async () => {
    // Each command the backend sends is one round trip (an update sends them one after another).
    const sent: string[] = []
    const counting = {
      sendCommand: <T>(args: readonly (string | Buffer)[], options?: object) => {
        sent.push(String(args[0]))
        return client.sendCommand<T>(args, options)
      },
    }
    const trips = async (run: () => Promise<unknown>) => {
      sent.length = 0
      await run()
      return sent.join(' ')
    }
    const store = open({ client: counting, prefix: 'trips:' })
    // Loads the scripts: the general compare-and-set, and the lean one of a write that moves
    // no index entry (a session seen, same owner, expiry not earlier).
    await store.set('warm', {})
    await store.set('warm', {})
    expect(await trips(() => store.set('new', { n: 1 }))).toBe('EVALSHA')
    expect(await trips(() => store.get('new'))).toBe('GET')
    expect(await trips(() => store.set('new', { n: 2 }))).toBe('SET')
    // A touch that moves the expiry less than touchAfter writes nothing, and the hint was confirmed
    // within the second (by the set and get above): no command at all.
    expect(await trips(() => store.touch('new'))).toBe('')
    // Another process wrote in between: the stale hint costs one more round trip, not a lost write.
    const other = open({ client, prefix: 'trips:' })
    await other.set('new', { n: 3, by: 'other' })
    const patch = (d: SessionData) => ({ ...d, seen: true })
    expect(await trips(() => store.touch('new', { patch }))).toBe('EVALSHA EVALSHA')
    expect((await other.get('new'))!.data).toEqual({ n: 3, by: 'other', seen: true })
    // An update that writes nothing, without the touch's allowance, checks a stale hint with one
    // GET, and runs again on the record it brings; nothing is written.
    const warm = store.backend as RedisBackend
    await other.set('new', { n: 4, by: 'other' })
    const saw: string[] = []
    const look = (current: StoredSession | undefined) => {
      saw.push(Buffer.from(current!.value).toString())
      return undefined
    }
    expect(await trips(() => warm.update('new', look))).toBe('GET')
    expect(saw.map((text) => JSON.parse(text) as unknown)).toEqual([
      { n: 3, by: 'other', seen: true },
      { n: 4, by: 'other' },
    ])
    // The touch's allowance: a session deleted elsewhere within the second is still "live" to a
    // touch answered from this process's copy, and that touch writes nothing (it stays gone).
    await other.destroy('new')
    expect(await trips(() => store.touch('new'))).toBe('')
    expect(await other.get('new')).toBeUndefined()
    // Past the allowance (or without it) the check finds it gone.
    expect(await trips(() => warm.update('new', () => undefined))).toBe('GET')
    expect(await store.touch('new')).toBe(false)
    await store.set('new', { n: 5 })

    const cold = open({ client: counting, prefix: 'trips:', hintCacheBytes: 0 })
    await cold.get('new')
    expect(await trips(() => cold.touch('new'))).toBe('GET')
    expect(await trips(() => cold.touch('new', { ttl: 3_600_000 * 48 }))).toBe('GET EVALSHA')
    const backend = cold.backend as RedisBackend
    const saved = await backend.save('fast', {
      now: Date.now(),
      ttl: 60_000,
      fixed: false,
      value: Buffer.from('{"n":1}'),
      userId: 'ann',
    })
    expect(await cold.get('fast')).toMatchObject({
      data: { n: 1 },
      userId: 'ann',
      expiresAt: saved.expiresAt,
    })
    const again = { now: Date.now(), ttl: 1, fixed: true, value: Buffer.from('{}') }
    expect(await trips(() => backend.save('fast', again))).toBe('EVALSHA')
    // Fixed mode keeps the live session's times; the user moved out of the index.
    expect(await cold.get('fast')).toMatchObject({
      data: {},
      createdAt: saved.createdAt,
      expiresAt: saved.expiresAt,
    })
    expect(await cold.listUser('ann')).toEqual([])
    expect(await backend.verify()).toEqual([])
  })

  it("answers a lazy touch from a recent read only while that read is still this process's view", async () => {
    const store = open({ client, prefix: 'recent:' })
    const other = open({ client, prefix: 'recent:' })
    // A load in flight when this process deletes the session cannot leave its record behind as
    // a hint that a touch would trust.
    await store.set('a', { n: 1 })
    const loading = store.get('a')
    // The load's GET is queued before the delete's script (same connection, in order).
    await new Promise((resolve) => setImmediate(resolve))
    expect(await store.destroy('a')).toBe(true)
    expect((await loading)?.data).toEqual({ n: 1 })
    expect(await store.touch('a')).toBe(false)
    // A touch waiting on its patch when a load finds the session gone: the load's news counts.
    await store.set('b', { n: 1 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const touching = store.touch('b', {
      patch: async () => {
        await gate
        return undefined
      },
    })
    await until(async () => (await other.destroy('b')) || true)
    expect(await store.get('b')).toBeUndefined()
    release()
    expect(await touching).toBe(false)
  })

  it('queues concurrent updates of one id in a process: one script each, none lost', async () => {
    let scripts = 0
    const counting = {
      sendCommand: <T>(args: readonly (string | Buffer)[], options?: object) => {
        if (String(args[0]).startsWith('EVAL')) scripts++
        return client.sendCommand<T>(args, options)
      },
    }
    const store = open({ client: counting, prefix: 'burst:' })
    const bump = (d: SessionData) => ({ ...d, n: (d.n as number) + 1 })
    await store.set('s', { n: 0 })
    await store.touch('s', { patch: bump }) // loads the scripts
    scripts = 0
    await Promise.all(Array.from({ length: 40 }, () => store.touch('s', { patch: bump })))
    expect((await store.get('s'))?.data).toEqual({ n: 41 })
    // Unqueued, each round would let one of them through: about 40 * 41 / 2 scripts.
    expect(scripts).toBe(40)
  })

  it("retries an update that keeps losing races, under an app test's fake setTimeout too", async () => {
    const other = open({ client, prefix: 'race:' })
    let races = 5
    const racing = {
      // Before each of the first scripts, another process writes the session: the script's
      // compare fails, and from the third attempt on the update backs off before retrying.
      sendCommand: async <T>(args: readonly (string | Buffer)[], options?: object) => {
        if (String(args[0]).startsWith('EVAL') && races > 0) {
          races--
          await other.touch('s', {
            patch: (d) => ({ ...d, other: ((d.other as number) ?? 0) + 1 }),
          })
        }
        return client.sendCommand<T>(args, options)
      },
    }
    const store = open({ client: racing, prefix: 'race:' })
    await other.set('s', { n: 0 })
    // node-redis itself writes on setImmediate, so a test faking that cannot use it at all.
    vi.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      await store.touch('s', { patch: (d) => ({ ...d, n: (d.n as number) + 1 }) })
    } finally {
      vi.useRealTimers()
    }
    expect(races).toBe(0)
    expect((await other.get('s'))?.data).toEqual({ n: 1, other: 5 })
  })

  it('keeps each expiry entry a lower bound: count, prune and verify stay exact', async () => {
    // The store's clock runs ahead of Redis's, never behind: native expiry stays out of the way.
    const t0 = Date.now() + 60_000
    let now = t0
    const store = open({ client, prefix: 'lazy:' }, { maxAge: 1000, now: () => now })
    const expired: string[] = []
    store.on('expired', (e) => expired.push(`${e.id}@${e.expiresAt - t0}`))
    const keys = (store.backend as RedisBackend).keys
    const score = (id: string) => client.zScore(keys.expiry(keys.bucketOf(id)), id)
    await store.set('a', { user: 'ann' })
    now += 500
    await store.get('a')
    expect(await store.touch('a')).toBe(true)
    await store.set('b', {})
    // A later expiry leaves the entry where it was; an earlier one moves it down.
    expect(await score('a')).toBe(t0 + 1000)
    await store.set('c', {})
    await store.set('c', {}, { ttl: 100 })
    expect(await score('c')).toBe(t0 + 600)
    now += 700 // t0 + 1200: a's entry is due, a is not
    expect(await store.count()).toBe(2)
    expect(await store.backend.verify!()).toEqual([])
    expect(await store.prune()).toMatchObject({ deleted: 1 })
    expect(expired).toEqual(['c@600'])
    expect(await score('a')).toBe(t0 + 1500)
    expect((await store.get('a'))?.data).toEqual({ user: 'ann' })
    now += 400 // t0 + 1600
    expect(await store.count()).toBe(0)
    expect(await store.prune()).toMatchObject({ scanned: 2, deleted: 2 })
    expect(expired.sort()).toEqual(['a@1500', 'b@1500', 'c@600'])
    expect(await store.backend.verify!()).toEqual([])
  })

  it('counts exactly while a sweep moves due entries up, past chunks of equal scores', async () => {
    const t0 = Date.now() + 60_000
    let now = t0
    const store = open({ client, prefix: 'cnt:', buckets: 1 }, { maxAge: 600_000, now: () => now })
    const keys = (store.backend as RedisBackend).keys
    // 600 entries at one score (more than a count step reads), each a lower bound of a session
    // that lives on for ten minutes; plus 100 sessions that really expire.
    const ids = Array.from({ length: 600 }, (_, i) => `live-${i}`)
    for (const id of ids) await store.set(id, {}, { ttl: 1000 })
    for (const id of ids) await store.set(id, {})
    for (let i = 0; i < 100; i++) await store.set(`gone-${i}`, {}, { ttl: 1000 })
    now += 2000 // every entry due; 600 sessions live
    expect(await client.zCount(keys.expiry(0), '-inf', now)).toBe(700)
    const [counted, pruned] = await Promise.all([store.count(), store.prune()])
    expect(counted).toBe(600)
    expect(pruned).toMatchObject({ deleted: 100 })
    expect(await store.count()).toBe(600)
    expect(await store.backend.verify!()).toEqual([])
  })

  /** A touch's patch that takes 60 ms and counts. */
  const patch = async (d: SessionData) => {
    await new Promise((r) => setTimeout(r, 60))
    return { ...d, n: (d.n as number) + 1 }
  }

  it('a busy but answering Redis fails no update queued behind others longer than commandTimeout', async () => {
    const store = open({ client, prefix: 'busy:', commandTimeout: 100 })
    await store.set('p', { n: 0 })
    // Each patch takes 60 ms: the third touch waits 120 ms behind the first two.
    const touches = [1, 2, 3].map(() => store.touch('p', { patch }))
    expect(await Promise.all(touches)).toEqual([true, true, true])
    expect((await store.get('p'))?.data).toEqual({ n: 3 })
  })

  it('updates queued after a timeout, against a Redis answering again, all succeed', async () => {
    const store = open({ client, prefix: 'retry:', commandTimeout: 100 })
    await store.set('p', { n: 0 })
    await client.sendCommand(['CLIENT', 'PAUSE', '150', 'ALL'])
    // An app retrying in the catch of a timed-out call: its updates queue behind each other.
    const touches: Promise<boolean>[] = await store.get('p').then(
      () => [],
      () => [1, 2, 3, 4].map(() => store.touch('p', { patch })),
    )
    expect(touches).toHaveLength(4)
    expect(await Promise.all(touches)).toEqual([true, true, true, true])
    expect((await store.get('p'))?.data).toEqual({ n: 4 })
  })

  it("keeps commandTimeout on real time under an app test's fake timers and frozen clock", async () => {
    const store = open({ client, prefix: 'faked:', commandTimeout: 300 })
    await store.set('f', { n: 1 })
    const realTimeout = setTimeout
    const sleep = (ms: number) => new Promise((r) => realTimeout(r, ms))
    // Past the set's window of shared deadlines (50 ms here): the next command opens a new one.
    await sleep(80)
    // Everything node-redis does not need (it writes on setImmediate) is faked; the clock stands.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'performance'] })
    try {
      // Faked time racing ahead fails no command that Redis answers in time: this one waits
      // 60 ms or more of real time for its reply (Redis ends a pause on its next 100 ms tick),
      // while faked time moves a minute.
      await client.sendCommand(['CLIENT', 'PAUSE', '60', 'ALL'])
      const reading = store.get('f')
      await sleep(20)
      vi.advanceTimersByTime(60_000)
      expect((await reading)?.data).toEqual({ n: 1 })
      // A Redis that stops answering still fails the call after commandTimeout of real time,
      // though the faked clock never moves.
      await client.sendCommand(['CLIENT', 'PAUSE', '800', 'ALL'])
      const started = Date.now()
      const error = (await store.get('f').catch((e: unknown) => e)) as Error & { cause: Error }
      expect(error.cause?.name).toBe('TimeoutError')
      expect(Date.now()).toBe(started)
    } finally {
      vi.useRealTimers()
    }
    await until(async () => (await client.ping()) === 'PONG')
    expect((await store.get('f'))?.data).toEqual({ n: 1 })
  })

  it('reads what another process wrote, and writes over a value that is not a record', async () => {
    const store = open({ client, prefix: 'other:' })
    const other = open({ client, prefix: 'other:' })
    await store.set('s', { n: 1 })
    expect((await store.get('s'))?.data).toEqual({ n: 1 })
    await other.set('s', { n: 2 })
    expect((await store.get('s'))?.data).toEqual({ n: 2 })
    const keys = (store.backend as RedisBackend).keys
    const errors: string[] = []
    store.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message))
    for (const junk of ['junk', 'junk\0more', '\0', '']) {
      await client.set(keys.session('s'), junk)
      expect(await store.get('s')).toBeUndefined()
      await store.set('s', { junk })
      expect((await store.get('s'))?.data).toEqual({ junk })
    }
    expect(errors).toEqual(Array(4).fill('ERR_SESSION_DECODE'))
    // A key of another type: no session, read alone (GET) or with others (MGET); never a 500
    // on every request that carries the cookie.
    await client.del(keys.session('s'))
    await client.hSet(keys.session('s'), 'f', 'v')
    expect(await store.get('s')).toBeUndefined()
    await store.set('t', { t: 1 })
    expect((await Promise.all([store.get('s'), store.get('t')])).map((r) => r?.data)).toEqual([
      undefined,
      { t: 1 },
    ])
    // Removed, and no live session: destroy resolves false.
    expect(await store.destroy('s')).toBe(false)
    expect(await client.exists(keys.session('s'))).toBe(0)
    await store.set('s', { n: 3 })
    expect(await store.destroy('s')).toBe(true)
    expect(await store.backend.verify!()).toEqual([])
  })

  it('sends loads issued together as one MGET, each answered on its own', async () => {
    const sent: string[] = []
    let failMget = false
    let throwMget = false
    let throwGet = false
    const counting = {
      sendCommand: <T>(args: readonly (string | Buffer)[], options?: object) => {
        sent.push(`${String(args[0])}:${args.length - 1}`)
        if (failMget && args[0] === 'MGET') return Promise.reject(new Error('MGET refused'))
        if (throwMget && args[0] === 'MGET') throw new Error('MGET thrown')
        if (throwGet && args[0] === 'GET') throw new Error('GET thrown')
        return client.sendCommand<T>(args, options)
      },
    }
    const store = open({ client: counting, prefix: 'batch:' })
    const errors: string[] = []
    store.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message))
    for (let i = 0; i < 300; i++) await store.set(`s${i}`, { i })
    const keys = (store.backend as RedisBackend).keys
    await client.set(keys.session('s7'), 'not a record')
    await client.del(keys.session('s8'))

    sent.length = 0
    const got = await Promise.all(Array.from({ length: 300 }, (_, i) => store.get(`s${i}`)))
    // 300 loads in one turn: the first at once, alone, the rest in MGETs of at most 128 keys.
    expect(sent).toEqual(['GET:1', 'MGET:128', 'MGET:128', 'MGET:43'])
    got.forEach((record, i) => {
      if (i === 7 || i === 8) expect(record).toBeUndefined()
      else expect(record?.data).toEqual({ i })
    })
    expect(errors).toEqual(['ERR_SESSION_DECODE'])

    // Loads in separate turns are separate GETs (a lone load never waits for company).
    sent.length = 0
    expect((await store.get('s1'))?.data).toEqual({ i: 1 })
    expect((await store.get('s2'))?.data).toEqual({ i: 2 })
    expect(sent).toEqual(['GET:1', 'GET:1'])

    // A client that throws instead of rejecting fails the loads too: none is left hanging.
    throwMget = true
    const thrown = await Promise.allSettled([1, 2, 3].map((i) => store.get(`s${i}`)))
    expect(thrown.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    throwMget = false
    throwGet = true
    await expect(store.get('s1')).rejects.toMatchObject({ cause: { message: 'GET thrown' } })
    throwGet = false
    // ... and the next lone load still goes out at once.
    sent.length = 0
    expect((await store.get('s1'))?.data).toEqual({ i: 1 })
    expect(sent).toEqual(['GET:1'])
    // A key of another type read alone is no session, as in an MGET.
    await client.del(keys.session('s9'))
    await client.hSet(keys.session('s9'), 'f', 'v')
    expect(await store.get('s9')).toBeUndefined()

    // A failed MGET fails every load of its batch, and only those.
    failMget = true
    const results = await Promise.allSettled([1, 2, 3].map((i) => store.get(`s${i}`)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_STORE_IO',
      cause: { message: 'MGET refused' },
    })
    expect((await store.get('s3'))?.data).toEqual({ i: 3 })
  })

  it('refuses bad options when the backend is created', () => {
    expect(() => redisBackend({ client, prefix: 'a{b}' })).toThrow(TypeError)
    expect(() => redisBackend({} as never)).toThrow(TypeError)
    expect(() => redisBackend({ client, buckets: 0 })).toThrow(RangeError)
    expect(() => redisBackend({ client, commandTimeout: -1 })).toThrow(RangeError)
  })

  it('refuses to open a prefix written with another bucket count', async () => {
    await open({ client, prefix: 'buckets:', buckets: 4 }).ready()
    const store = open({ client, prefix: 'buckets:', buckets: 8 })
    await expect(store.ready()).rejects.toMatchObject({ code: 'ERR_STORE_SCHEMA' })
    await expect(store.get('a')).rejects.toMatchObject({ code: 'ERR_STORE_SCHEMA' })
  })

  it('never closes the client it was given', async () => {
    const store = open({ client, prefix: prefix() })
    await store.set('a', {})
    await store.close()
    expect(client.isOpen).toBe(true)
    expect(await client.ping()).toBe('PONG')
  })
})

describe.skipIf(!hasRedisServer)('redis backend on a cluster', () => {
  let servers: RedisClusterServers
  let cluster: ReturnType<typeof createCluster>
  beforeAll(async () => {
    servers = await startCluster()
    cluster = await createCluster({ rootNodes: servers.nodes.map(({ url }) => ({ url })) })
      .on('error', () => undefined)
      .connect()
  })
  afterAll(async () => {
    cluster?.destroy()
    await servers?.stop()
  })

  it('spreads the sessions over every master and keeps each bucket in one slot', async () => {
    const store = createSessionStore<SessionData>({
      cleanupInterval: 0,
      userId: (d) => d.user as string,
      backend: redisBackend({ client: cluster, prefix: 'spread:' }),
    })
    for (let i = 0; i < 64; i++) await store.set(`s${i}`, { user: `u${i % 5}` })
    const perMaster = await Promise.all(
      cluster.masters.map(async (m) => (await cluster.nodeClient(m)).keys('spread:{*}s:*')),
    )
    expect(perMaster.filter((keys) => keys.length > 0).length).toBe(3)
    expect(perMaster.flat().length).toBe(64)
    expect((await store.listUser('u1')).length).toBe(13)
    expect(await store.destroyUser('u1')).toBe(13)
    expect(await store.count()).toBe(51)
    expect(await store.backend.verify!()).toEqual([])
    await store.clear()
    const left = await Promise.all(
      cluster.masters.map(async (m) => (await cluster.nodeClient(m)).keys('spread:*')),
    )
    expect(left.flat()).toEqual(['spread:meta'])
    await store.close()
  })

  it('batches loads per bucket, so each MGET stays in one hash slot', async () => {
    const store = createSessionStore<SessionData>({
      cleanupInterval: 0,
      backend: redisBackend({ client: cluster, prefix: 'mget:' }),
    })
    const ids = Array.from({ length: 200 }, (_, i) => `m${i}`)
    await Promise.all(ids.map((id, i) => store.set(id, { i })))
    const got = await Promise.all(ids.map((id) => store.get(id)))
    expect(got.map((r) => r?.data)).toEqual(ids.map((_, i) => ({ i })))
    await store.close()
  })

  it('reads a slot being migrated key by key when its MGET is refused (TRYAGAIN)', async () => {
    const store = createSessionStore<SessionData>({
      cleanupInterval: 0,
      backend: redisBackend({ client: cluster, prefix: 'mig:' }),
    })
    const keys = (store.backend as RedisBackend).keys
    const ids = Array.from({ length: 200 }, (_, i) => `id${i}`)
    const [a, c] = ids.filter((id) => keys.bucketOf(id) === keys.bucketOf(ids[0]!))
    await store.set(a!, { who: 'a' })
    await store.set(c!, { who: 'c' })
    const nodes = await Promise.all(
      servers.nodes.map(async ({ url, port }) => {
        const node = await createClient({ url })
          .on('error', () => undefined)
          .connect()
        return { node, port, id: await node.sendCommand<string>(['CLUSTER', 'MYID']) }
      }),
    )
    const slot = String(
      await nodes[0]!.node.sendCommand<number>(['CLUSTER', 'KEYSLOT', keys.session(a!)]),
    )
    const counts = await Promise.all(
      nodes.map(({ node }) => node.sendCommand<number>(['CLUSTER', 'COUNTKEYSINSLOT', slot])),
    )
    const source = nodes[counts.findIndex((n) => n > 0)]!
    const target = nodes.find((n) => n !== source)!
    const migrate = (key: string) =>
      source.node.sendCommand([
        'MIGRATE',
        '127.0.0.1',
        String(target.port),
        '',
        '0',
        '5000',
        'KEYS',
        key,
      ])
    try {
      // Half way through: one key on each node, so a multi-key read of the slot is refused.
      await target.node.sendCommand(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id])
      await source.node.sendCommand(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id])
      await migrate(keys.session(a!))
      const got = await Promise.all([store.get(a!), store.get(c!)])
      expect(got.map((r) => r?.data)).toEqual([{ who: 'a' }, { who: 'c' }])
    } finally {
      // Ends the migration: every key of the slot (indexes too) to the target, then the slot.
      const left = await source.node.sendCommand<string[]>([
        'CLUSTER',
        'GETKEYSINSLOT',
        slot,
        '1000',
      ])
      for (const key of left) await migrate(key)
      for (const { node } of nodes)
        await node.sendCommand(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id])
      for (const { node } of nodes) node.destroy()
    }
    expect((await store.get(c!))?.data).toEqual({ who: 'c' })
    await store.close()
  })
})

if (!hasRedisServer) missingRedisServer(it)
