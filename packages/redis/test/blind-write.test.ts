// A `set` over a session this process has seen writes with a plain `SET XX GET` instead of a
// compare-and-set script (UpdateOptions.blind). These tests check that the outcome is the one
// the script would have reached whenever another process wrote in between, and that the
// indexes stay exact.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createClient } from 'redis'
import { createSessionStore, type SessionData, type SessionStore } from '@levelsession/core'
import { redisBackend, type RedisBackend } from '@levelsession/redis'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

let prefixes = 0
const prefix = () => `blind${++prefixes}:`

describe.skipIf(!hasRedisServer)('a set written without a script', () => {
  let server: RedisServer
  let client: ReturnType<typeof createClient>
  const stores: SessionStore<SessionData>[] = []
  const sent: string[] = []
  /** Answers a command instead of the server (a promise), or lets it through (`undefined`). */
  type Hook = (
    name: string,
    args: readonly (string | Buffer)[],
    pass: () => Promise<unknown>,
  ) => Promise<unknown> | undefined
  /** The client, with `hook` before each command; each command's name goes to `log` if given. */
  const through = (hook: Hook, log?: string[]) => ({
    get isReady() {
      return client.isReady
    },
    sendCommand: <T>(args: readonly (string | Buffer)[], options?: object): Promise<T> => {
      const name = String(args[0])
      log?.push(name)
      const pass = () => client.sendCommand<T>(args, options)
      return (hook(name, args, pass) ?? pass()) as Promise<T>
    },
  })
  const refused = (name: string) => Promise.reject(new Error(`refused ${name} (test)`))
  const syntaxError = () => Promise.reject(new Error('ERR syntax error'))
  const isSetGet = (name: string, args: readonly (string | Buffer)[]) =>
    name === 'SET' && args.includes('GET')
  const isZaddLt = (name: string, args: readonly (string | Buffer)[]) =>
    name === 'ZADD' && args.includes('LT')
  /** The client, recording each command's name; `refuse` fails the commands it names. */
  const counting = (refuse = new Set<string>()) =>
    through((name) => (refuse.has(name) ? refused(name) : undefined), sent)
  const open = (
    options: Partial<Parameters<typeof redisBackend>[0]> & { prefix: string },
    extra: { now?: () => number; expiry?: 'fixed' } = {},
  ) => {
    const store = createSessionStore<SessionData>({
      cleanupInterval: 0,
      userId: (d) => d.user as string | undefined,
      ...extra,
      backend: redisBackend({ client, ...options }),
    })
    stores.push(store)
    return store
  }
  /** A client that runs `interpose` once, just before the next EVALSHA (a repair). */
  const racing = () => {
    const race: { interpose?: () => Promise<unknown>; refuse: Set<string> } = {
      refuse: new Set<string>(),
    }
    const racer = through((name, _, pass) => {
      if (race.refuse.has(name)) return refused(name)
      if (name !== 'EVALSHA' || race.interpose === undefined) return undefined
      const run = race.interpose
      race.interpose = undefined
      return run().then(pass)
    })
    return Object.assign(race, { client: racer })
  }
  /** A client of a server before Redis 6.2, which refuses SET ... GET. */
  const withoutSetGet = () =>
    through(
      (name, args) => (isSetGet(name, args) || isZaddLt(name, args) ? syntaxError() : undefined),
      sent,
    )
  /**
   * Two processes on one prefix, `mine` holding ann's record, which `theirs` then gives bob; then
   * mine's set for ann replaces bob's record blind, and its check (the repair script) fails.
   */
  const failedCheck = async () => {
    const p = prefix()
    const theirs = open({ client, prefix: p })
    const race = racing()
    const mine = open({ client: race.client, prefix: p })
    await theirs.set('s', { n: 1, user: 'ann' })
    await mine.get('s')
    await theirs.set('s', { n: 2, user: 'bob' })
    race.refuse = new Set(['EVALSHA', 'EVAL'])
    await expect(mine.set('s', { n: 3, user: 'ann' })).rejects.toThrow(/refused/)
    race.refuse = new Set()
    return { mine, theirs }
  }
  const trips = async (run: () => Promise<unknown>) => {
    sent.length = 0
    await run()
    // A script's first run on this server loads it (NOSCRIPT, then EVAL): one call.
    return sent.join(' ').replace(/EVALSHA EVAL(?= |$)/g, 'EVALSHA')
  }
  const verify = (store: SessionStore<SessionData>) => (store.backend as RedisBackend).verify()

  beforeAll(async () => {
    server = await startStandalone()
    client = await createClient({ url: server.url })
      .on('error', () => undefined)
      .connect()
  })
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
    client?.destroy()
    await server?.stop()
  })

  it('a set over a session seen is one SET; a new session and a touch keep the script', async () => {
    const p = prefix()
    const store = open({ client: counting(), prefix: p })
    // Loads the general compare-and-set.
    await store.set('warm', {})
    expect(await trips(() => store.set('s1', { n: 1 }))).toBe('EVALSHA')
    expect(await trips(() => store.set('s1', { n: 2 }))).toBe('SET')
    expect(await trips(() => store.set('s1', { n: 3, user: 'ann' }))).toBe('EVALSHA')
    // A user's session: its user set first (see RedisBackend#blind), then the SET.
    expect(await trips(() => store.set('s1', { n: 4, user: 'ann' }))).toBe('SADD SET')
    // With ifExists too (the Express adapter's set of a session its request loaded).
    expect(await trips(() => store.set('s1', { n: 5, user: 'ann' }, { ifExists: true }))).toBe(
      'SADD SET',
    )
    const patch = (d: SessionData) => ({ ...d, touched: true })
    expect(await trips(() => store.touch('s1', { patch }))).toBe('EVALSHA')
    expect((await store.get('s1'))!.data).toEqual({ n: 5, user: 'ann', touched: true })
    expect(await store.listUser('ann')).toHaveLength(1)
    expect(await verify(store)).toEqual([])
    // The record written carries the ttl: native expiry as with the script.
    const key = (store.backend as RedisBackend).keys.session('s1')
    const pttl = await client.pTTL(key)
    expect(pttl).toBeGreaterThan(store.options.maxAge - 60_000)
    expect(pttl).toBeLessThanOrEqual(store.options.maxAge)
  })

  /** The expiry entry of `id` (a lower bound of its expiry), or null. */
  const entry = async (store: SessionStore<SessionData>, id: string) => {
    const keys = (store.backend as RedisBackend).keys
    const score = await client.zScore(keys.expiry(keys.bucketOf(id)), id)
    return score === null ? null : Number(score)
  }

  it('a set that moves the expiry earlier is SET then ZADD XX LT, and lowers the entry', async () => {
    const clock = 1_000_000_000
    const p = prefix()
    const store = open({ client: counting(), prefix: p }, { now: () => clock })
    await store.set('warm', {})
    await store.set('s', { n: 1, user: 'ann' }, { ttl: 60_000 })
    expect(await entry(store, 's')).toBe(clock + 60_000)
    // Earlier: the entry follows it down, after the SET, without a script.
    expect(await trips(() => store.set('s', { n: 2, user: 'ann' }, { ttl: 30_000 }))).toBe(
      'SADD SET ZADD',
    )
    expect(await entry(store, 's')).toBe(clock + 30_000)
    expect((await store.get('s'))!.expiresAt).toBe(clock + 30_000)
    // Later: one SET, and the entry stays where it is (a lower bound).
    expect(await trips(() => store.set('s', { n: 3, user: 'ann' }, { ttl: 90_000 }))).toBe(
      'SADD SET',
    )
    expect(await entry(store, 's')).toBe(clock + 30_000)
    // Earlier than seen but not below the entry: ZADD LT leaves the entry alone.
    expect(await trips(() => store.set('s', { n: 4 }, { ttl: 45_000 }))).toBe('EVALSHA')
    expect(await trips(() => store.set('s', { n: 5 }, { ttl: 40_000 }))).toBe('SET ZADD')
    expect(await entry(store, 's')).toBe(clock + 30_000)
    expect((await store.get('s'))!.data).toEqual({ n: 5 })
    expect(await verify(store)).toEqual([])
    // The native expiry follows the record.
    const pttl = await client.pTTL((store.backend as RedisBackend).keys.session('s'))
    expect(pttl).toBeGreaterThan(30_000)
    expect(pttl).toBeLessThanOrEqual(40_000)
  })

  it('an earlier expiry for a session deleted elsewhere adds no entry, and the set starts it again', async () => {
    const clock = 1_000_000_000
    const p = prefix()
    const mine = open({ client: counting(), prefix: p }, { now: () => clock })
    const theirs = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 }, { ttl: 60_000 })
    await theirs.destroy('s')
    expect(await entry(mine, 's')).toBeNull()
    // Nothing written, no entry added; then the compare-and-set creates the session.
    expect(await trips(() => mine.set('s', { n: 2 }, { ttl: 30_000 }))).toBe('SET ZADD EVALSHA')
    expect(await entry(mine, 's')).toBe(clock + 30_000)
    expect((await theirs.get('s'))!.data).toEqual({ n: 2 })
    expect(await verify(mine)).toEqual([])
  })

  it('an earlier expiry over a record written elsewhere: the entry fits whichever stands', async () => {
    const clock = 1_000_000_000
    const p = prefix()
    const mine = open({ client: counting(), prefix: p }, { now: () => clock })
    const theirs = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1, user: 'ann' }, { ttl: 60_000 })
    // Another process moved it later, then signs it in as bob.
    await theirs.set('s', { n: 2, user: 'ann' }, { ttl: 120_000 })
    await theirs.set('s', { n: 3, user: 'bob' }, { ttl: 120_000 })
    expect(await trips(() => mine.set('s', { n: 4, user: 'ann' }, { ttl: 30_000 }))).toBe(
      'SADD SET ZADD EVALSHA',
    )
    expect((await theirs.get('s'))!.data).toEqual({ n: 4, user: 'ann' })
    expect(await entry(mine, 's')).toBe(clock + 30_000)
    expect((await mine.listUser('ann')).map((s) => s.id)).toEqual(['s'])
    expect(await mine.listUser('bob')).toEqual([])
    expect(await verify(mine)).toEqual([])
  })

  it('a sweep between the SET and the ZADD leaves the entry at the new expiry, never above it', async () => {
    let clock = 1_000_000_000
    const p = prefix()
    let interpose: (() => Promise<unknown>) | undefined
    let first: string | undefined
    // Runs `interpose` between the SET and the ZADD, whichever is sent first.
    const between = through((name, _, pass) => {
      if ((name !== 'SET' && name !== 'ZADD') || interpose === undefined) return undefined
      if (first === undefined) {
        first = name
        return undefined
      }
      const run = interpose
      interpose = undefined
      return run().then(pass)
    })
    const mine = open({ client: between, prefix: p }, { now: () => clock })
    const sweeper = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 }, { ttl: 10_000 })
    await mine.set('s', { n: 2 }, { ttl: 60_000 })
    // The entry is a lower bound, due at +10 s; the session lives until +60 s.
    expect(await entry(mine, 's')).toBe(clock + 10_000)
    const start = clock
    let swept: Awaited<ReturnType<typeof sweeper.prune>> | undefined
    interpose = async () => {
      clock = start + 20_000
      // The entry is due: the sweep moves it up to the expiry stored at that moment.
      swept = await sweeper.prune()
    }
    await mine.set('s', { n: 3 }, { ttl: 30_000 })
    expect(swept).toMatchObject({ scanned: 1, deleted: 0 })
    expect(await entry(mine, 's')).toBe(start + 30_000)
    expect((await sweeper.get('s'))!.data).toEqual({ n: 3 })
    expect(await verify(mine)).toEqual([])
  })

  it('a ZADD that fails after the SET wrote is made good before the next write of that session', async () => {
    const clock = 1_000_000_000
    const p = prefix()
    const mine = open({ client: counting(new Set(['ZADD'])), prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 }, { ttl: 60_000 })
    // The SET wrote; the entry stays above the new expiry for now.
    await mine.set('s', { n: 2 }, { ttl: 30_000 })
    expect(await entry(mine, 's')).toBe(clock + 60_000)
    expect(await verify(mine)).toEqual([
      `session s: expiry entry ${clock + 60_000}, after the session's expiry ${clock + 30_000}`,
    ])
    // The next write reindexes the session first (a script), then writes.
    expect(await trips(() => mine.set('s', { n: 3 }, { ttl: 40_000 }))).toBe('EVALSHA SET')
    expect(await entry(mine, 's')).toBe(clock + 30_000)
    expect(await verify(mine)).toEqual([])
  })

  it('a server that takes SET ... GET but refuses ZADD ... LT: healed, then the script lowers', async () => {
    const clock = 1_000_000_000
    const p = prefix()
    const noLt = through((name, args) => (isZaddLt(name, args) ? syntaxError() : undefined), sent)
    const mine = open({ client: noLt, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 }, { ttl: 60_000 })
    expect(await trips(() => mine.set('s', { n: 2 }, { ttl: 30_000 }))).toBe('SET ZADD')
    // The next write reindexes first; a later expiry is still one SET.
    expect(await trips(() => mine.set('s', { n: 3 }, { ttl: 40_000 }))).toBe('EVALSHA SET')
    expect(await entry(mine, 's')).toBe(clock + 30_000)
    expect(await verify(mine)).toEqual([])
    // An earlier expiry takes the compare-and-set from now on.
    expect(await trips(() => mine.set('s', { n: 4 }, { ttl: 20_000 }))).toBe('EVALSHA')
    expect(await entry(mine, 's')).toBe(clock + 20_000)
    expect(await verify(mine)).toEqual([])
  })

  it('another process wrote the same owner in between: the SET stands, last writer wins', async () => {
    const p = prefix()
    // A clock that stands still: the check runs the set on both records, and a millisecond
    // passing between the two runs would make them differ (a script that writes the same).
    const now = () => 1_000_000
    const mine = open({ client: counting(), prefix: p }, { now })
    const theirs = open({ client, prefix: p }, { now })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.set('s', { n: 2, user: 'ann', by: 'them' })
    expect(await trips(() => mine.set('s', { n: 3, user: 'ann' }))).toBe('SADD SET')
    expect((await theirs.get('s'))!.data).toEqual({ n: 3, user: 'ann' })
    expect(await verify(mine)).toEqual([])
    // The hint is the record written: the next set is one SET again.
    expect(await trips(() => mine.set('s', { n: 4, user: 'ann' }))).toBe('SADD SET')
  })

  it('another process signed the session in as someone else: the set moves the user index', async () => {
    const p = prefix()
    const mine = open({ client: counting(), prefix: p })
    const theirs = open({ client, prefix: p })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.set('s', { n: 2, user: 'bob' })
    // The SET replaced bob's record with ann's: the repair script moves the index from bob to
    // ann, writing nothing.
    expect(await trips(() => mine.set('s', { n: 3, user: 'ann' }))).toBe('SADD SET EVALSHA')
    expect((await theirs.get('s'))!.data).toEqual({ n: 3, user: 'ann' })
    expect(await verify(mine)).toEqual([])
    expect((await mine.listUser('ann')).map((s) => s.id)).toEqual(['s'])
    expect(await mine.listUser('bob')).toEqual([])

    // The same with a session this process saw signed out, signed in elsewhere.
    await mine.set('t', { n: 1 })
    await theirs.set('t', { n: 2, user: 'bob' })
    expect(await trips(() => mine.set('t', { n: 3 }))).toBe('SET EVALSHA')
    expect((await theirs.get('t'))!.data).toEqual({ n: 3 })
    expect(await verify(mine)).toEqual([])
    expect(await mine.listUser('bob')).toEqual([])
    expect(await theirs.destroyUser('bob')).toBe(0)
    expect(await theirs.get('t')).toBeDefined()
  })

  it('deleted elsewhere: the SET writes nothing and the set starts the session again', async () => {
    let clock = 1_000_000
    const p = prefix()
    const mine = open({ client: counting(), prefix: p }, { now: () => clock })
    const theirs = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.destroy('s')
    clock += 5_000
    // The SADD is taken back (a script), then the set creates the session (the compare-and-set).
    expect(await trips(() => mine.set('s', { n: 2, user: 'ann' }))).toBe('SADD SET EVALSHA EVALSHA')
    const stored = await theirs.get('s')
    expect(stored!.data).toEqual({ n: 2, user: 'ann' })
    // A new session: created now, not when the deleted one was.
    expect(stored!.createdAt).toBe(clock)
    expect(await verify(mine)).toEqual([])
  })

  it('deleted and started again elsewhere: the record written gets the new creation time', async () => {
    let clock = 1_000_000
    const p = prefix()
    const mine = open({ client: counting(), prefix: p }, { now: () => clock })
    const theirs = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 })
    await theirs.destroy('s')
    clock += 5_000
    await theirs.set('s', { n: 2, by: 'them' })
    clock += 5_000
    // Blind, the SET wrote the creation time this process had seen; run again on what it
    // replaced, the set keeps the live session's, and the repair script stores that.
    expect(await trips(() => mine.set('s', { n: 3 }))).toBe('SET EVALSHA')
    const stored = await theirs.get('s')
    expect(stored!.data).toEqual({ n: 3 })
    expect(stored!.createdAt).toBe(1_005_000)
    expect(await verify(mine)).toEqual([])
  })

  it.each([
    ['signs it in as cat', { n: 9, user: 'cat' }, ['cat']],
    ['keeps ann, the owner the SET wrote', { n: 9, user: 'ann' }, ['ann']],
    ['destroys it', null, []],
  ] as const)(
    'a write that lands between the SET and its repair stands: one that %s',
    async (_, data, owners) => {
      const p = prefix()
      const theirs = open({ client, prefix: p })
      const race = racing()
      const mine = open({ client: race.client, prefix: p })
      await mine.set('s', { n: 1, user: 'ann' })
      await theirs.set('s', { n: 2, user: 'bob' })
      // Their process still holds bob's record: its write finds ann's, and runs on that.
      race.interpose = () => (data === null ? theirs.destroy('s') : theirs.set('s', data))
      const written = await mine.set('s', { n: 3, user: 'ann' })
      expect(race.interpose).toBeUndefined()
      expect(written.data).toEqual({ n: 3, user: 'ann' })
      expect((await theirs.get('s'))?.data).toEqual(data ?? undefined)
      // The repair script made the indexes follow the record that stands: bob's set, which the
      // later write never knew of, lost the id too. (Checked first: listUser drops stale ids.)
      expect(await verify(mine)).toEqual([])
      for (const user of ['ann', 'bob', 'cat']) {
        const ids = (await mine.listUser(user)).map((s) => s.id)
        expect(ids, user).toEqual((owners as readonly string[]).includes(user) ? ['s'] : [])
      }
    },
  )

  it('with ifExists, over a session that is no longer live: the repair deletes what the SET wrote', async () => {
    const day = 86_400_000
    const p = prefix()
    const mine = open({ client: counting(), prefix: p }, { now: () => 10 * day })
    // A process whose clock is two days behind: by this process's clock, its session has expired
    // (Redis, counting its time to live, still holds it).
    const theirs = open({ client, prefix: p }, { now: () => 8 * day })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.set('s', { n: 2, user: 'bob' })
    expect(await trips(() => mine.set('s', { n: 3, user: 'ann' }, { ifExists: true }))).toBe(
      'SADD SET EVALSHA',
    )
    expect(await client.exists((mine.backend as RedisBackend).keys.session('s'))).toBe(0)
    expect(await verify(mine)).toEqual([])
    expect(await mine.get('s')).toBeUndefined()
    // Without ifExists the same set starts the session again.
    await theirs.set('s', { n: 4, user: 'bob' })
    expect((await mine.set('s', { n: 5, user: 'ann' })).data).toEqual({ n: 5, user: 'ann' })
    expect(await verify(mine)).toEqual([])
  })

  it('a server without SET ... GET (before Redis 6.2): the set falls back to the script, for good', async () => {
    const p = prefix()
    const old = withoutSetGet()
    const store = open({ client: old, prefix: p })
    await store.set('s', { n: 1 })
    expect(await trips(() => store.set('s', { n: 2 }))).toBe('SET EVALSHA')
    expect((await store.get('s'))!.data).toEqual({ n: 2 })
    expect(await trips(() => store.set('s', { n: 3 }))).toBe('EVALSHA')
    expect((await store.get('s'))!.data).toEqual({ n: 3 })
    // An earlier expiry too: the script lowers the entry.
    expect(await trips(() => store.set('s', { n: 4 }, { ttl: 30_000 }))).toBe('EVALSHA')
    const expiresAt = (await store.get('s'))!.expiresAt
    expect(await entry(store, 's')).toBe(expiresAt)
    expect(await verify(store)).toEqual([])
  })

  it('a refusal of SET ... GET that comes after the timeout sends nothing more and rejects nothing unobserved', async () => {
    const log: string[] = []
    let slowRefusal = false
    let failScripts = false
    // A server before 6.2 that answers late (a stalled connection), then refuses scripts too.
    const oldSlow = through((name, args) => {
      if (slowRefusal && isSetGet(name, args)) {
        return new Promise((resolve) => setTimeout(resolve, 400)).then(syntaxError)
      }
      if (failScripts && (name === 'EVALSHA' || name === 'EVAL')) {
        return Promise.reject(new Error('LOADING Redis is loading the dataset in memory'))
      }
      return undefined
    }, log)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    onTestFinished(() => {
      process.off('unhandledRejection', onUnhandled)
    })
    const store = open({ client: oldSlow, prefix: prefix(), commandTimeout: 100 })
    await store.set('s', { n: 1 })
    slowRefusal = true
    failScripts = true
    log.length = 0
    await expect(store.set('s', { n: 2 })).rejects.toMatchObject({
      cause: { name: 'TimeoutError' },
    })
    const afterFailure = log.length
    await new Promise((resolve) => setTimeout(resolve, 700))
    // The late refusal sends no fallback for a set already failed, so nothing rejects unseen.
    expect(log.slice(afterFailure)).toEqual([])
    expect(unhandled).toEqual([])
  })

  it('should the repair never run, the user index still finds the session', async () => {
    const p = prefix()
    const theirs = open({ client, prefix: p })
    // The repair's script fails, as it would if this process stopped right after the SET.
    const mine = open({ client: counting(new Set(['EVALSHA', 'EVAL'])), prefix: p })
    await theirs.set('s', { n: 1, user: 'ann' })
    await mine.get('s')
    await theirs.set('s', { n: 2, user: 'bob' })
    await expect(mine.set('s', { n: 3, user: 'ann' })).rejects.toThrow(/refused EVALSHA/)
    expect((await theirs.get('s'))!.data).toEqual({ n: 3, user: 'ann' })
    // Signing ann out everywhere still reaches it.
    expect(await theirs.destroyUser('ann')).toBe(1)
    expect(await theirs.get('s')).toBeUndefined()
  })

  // Races found in review: each ended differently from the compare-and-set before its fix.
  it('a set with ifExists racing a destroy writes nothing and leaves no user-set member', async () => {
    const p = prefix()
    const mine = open({ client, prefix: p })
    const theirs = open({ client, prefix: p })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.destroy('s') // signed out in another tab
    // The request still running saves with ifExists: nothing is written, as it must be...
    expect(await mine.set('s', { n: 2, user: 'ann' }, { ifExists: true })).toBeUndefined()
    expect(await theirs.get('s')).toBeUndefined()
    // Nor does its SADD stay behind.
    expect(await verify(mine)).toEqual([])
  })

  it('the same, then the id used by another user: the indexes stay exact', async () => {
    const p = prefix()
    const mine = open({ client, prefix: p })
    const theirs = open({ client, prefix: p })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.destroy('s')
    await mine.set('s', { n: 2, user: 'ann' }, { ifExists: true })
    await theirs.set('s', { n: 3, user: 'bob' })
    await theirs.listUser('ann')
    expect(await verify(mine)).toEqual([])
  })

  it('a repair that fails (timeout, disconnect) is made good by the next write of that session', async () => {
    const { mine, theirs } = await failedCheck()
    // The next set of this process first makes the indexes follow the record.
    await mine.set('s', { n: 4, user: 'ann' })
    await theirs.set('s', { n: 5, user: 'ann' })
    expect(await verify(mine)).toEqual([])
  })

  it('fixed expiry: an extension written in between is kept, as the compare-and-set keeps it', async () => {
    let clock = 1_000_000_000
    const day = 86_400_000
    const p = prefix()
    const mine = open({ client, prefix: p }, { expiry: 'fixed', now: () => clock })
    // e.g. a process still on the sliding config during a rolling deploy, or a restore()
    const theirs = open({ client, prefix: p }, { now: () => clock })
    const first = await mine.set('s', { n: 1 })
    clock += 3_600_000
    expect(await theirs.touch('s')).toBe(true)
    const extended = (await theirs.get('s'))!.expiresAt
    expect(extended).toBe(clock + day)
    const written = await mine.set('s', { n: 2 })
    // The CAS path: the retry on the extended record keeps its (fixed, live) expiry.
    expect(first.expiresAt).toBe(1_000_000_000 + day)
    expect(written.expiresAt).toBe(extended)
    expect((await theirs.get('s'))!.expiresAt).toBe(extended)
  })

  it('fixed expiry: an extension is kept even when the clock jumps during the SET', async () => {
    let clock = 1_000_000_000
    const p = prefix()
    // Two hours pass while the SET is on its way (a paused process): more than the extension.
    const jumping = through((name, args) => {
      if (isSetGet(name, args)) clock += 2 * 3_600_000
      return undefined
    })
    const mine = open({ client: jumping, prefix: p }, { expiry: 'fixed', now: () => clock })
    const theirs = open({ client, prefix: p }, { now: () => clock })
    await mine.set('s', { n: 1 })
    clock += 3_600_000
    expect(await theirs.touch('s')).toBe(true)
    const extended = (await theirs.get('s'))!.expiresAt
    const written = await mine.set('s', { n: 2 })
    expect(written.expiresAt).toBe(extended)
    expect((await theirs.get('s'))!.expiresAt).toBe(extended)
  })

  it('the session evicted between the SET and the repair: the owner keeps its entry for the sweep', async () => {
    const p = prefix()
    const race = racing()
    const mine = open({ client: race.client, prefix: p })
    const theirs = open({ client, prefix: p })
    await mine.set('s', { n: 1, user: 'ann' })
    await theirs.set('s', { n: 2, user: 'bob' })
    const key = (mine.backend as RedisBackend).keys.session('s')
    race.interpose = () => client.del(key) // eviction (volatile-lru) or native expiry
    await mine.set('s', { n: 3, user: 'ann' })
    expect(await verify(mine)).toEqual([])
  })

  it.each([
    ['sets it for bob', (s: SessionStore<SessionData>) => s.set('s', { n: 4, user: 'bob' })],
    ['sets it with no user', (s: SessionStore<SessionData>) => s.set('s', { n: 4 })],
    ['sets it for cat', (s: SessionStore<SessionData>) => s.set('s', { n: 4, user: 'cat' })],
    ['keeps ann', (s: SessionStore<SessionData>) => s.set('s', { n: 4, user: 'ann' })],
    ['destroys it', (s: SessionStore<SessionData>) => s.destroy('s')],
  ] as const)(
    'after a failed check, the next update of that session (it %s) heals the indexes',
    async (_, next) => {
      const { mine } = await failedCheck()
      await next(mine)
      expect(await verify(mine)).toEqual([])
    },
  )

  it("after a failed check and another process's write, the next update still heals the indexes", async () => {
    const { mine, theirs } = await failedCheck()
    // Their hint is bob's record: their write finds ann's and moves the index from ann to cat.
    await theirs.set('s', { n: 4, user: 'cat' })
    await mine.set('s', { n: 5, user: 'cat' })
    expect(await verify(mine)).toEqual([])
  })

  it.each([
    ['racing a destroy', 'destroy'],
    ['over a session another process gave bob, expired by this clock', 'expired'],
  ] as const)(
    'before Redis 6.2, a set with ifExists %s leaves no user-set member',
    async (_, how) => {
      const day = 86_400_000
      const p = prefix()
      const mine = open({ client: withoutSetGet(), prefix: p }, { now: () => 10 * day })
      const theirs = open({ client, prefix: p }, { now: () => 8 * day })
      await mine.set('s', { n: 1, user: 'ann' })
      if (how === 'destroy') await theirs.destroy('s')
      else await theirs.set('s', { n: 2, user: 'bob' })
      expect(await mine.set('s', { n: 3, user: 'ann' }, { ifExists: true })).toBeUndefined()
      expect(await verify(mine)).toEqual([])
    },
  )
})
