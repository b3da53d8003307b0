import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, createCluster } from 'redis'
import { createSessionStore, type SessionData, type SessionStore } from '@levelsession/core'
import { redisBackend, type RedisBackend } from '@levelsession/redis'
import {
  hasRedisServer,
  type RedisClusterServers,
  type RedisServer,
  SKIP_MESSAGE,
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
    const hash = await client.hGetAll(key)
    expect(hash).toMatchObject({
      v: '{"user":"ann","n":1}',
      c: String(saved.createdAt),
      e: String(saved.expiresAt),
      u: 'ann',
    })
    expect(hash.t).toMatch(/\S/)
    expect(await client.pExpireTime(key)).toBe(saved.expiresAt)
    expect(await client.zScore(`layout:{${b}}x`, 'abc')).toBe(saved.expiresAt)
    expect(await client.hGet(`layout:{${b}}o`, 'abc')).toBe('ann')
    expect(await client.sMembers(`layout:{${b}}u:ann`)).toEqual(['abc'])
    expect(await client.hGetAll('layout:meta')).toEqual({ layout: '1', buckets: '16' })
    await store.destroy('abc')
    expect(await client.keys('layout:{*')).toEqual([])
  })

  it('cleans the indexes of sessions that Redis expired natively, on read and on prune', async () => {
    // The real clock: Redis removes the session keys itself.
    const store = open({ client, prefix: 'native:' }, { maxAge: 200 })
    const expired: string[] = []
    store.on('expired', (e) => expired.push(`${e.id}:${e.reason}:${e.userId ?? '-'}`))
    await store.set('n1', { user: 'ann' })
    await store.set('n2', { user: 'bob' })
    await until(async () => (await client.keys('native:{*}s:*')).length === 0)
    // Entries are still there until someone reads or sweeps; verify accepts them once due.
    expect((await client.keys('native:{*}u:*')).length).toBe(2)
    expect(await store.backend.verify!()).toEqual([])
    expect(await store.listUser('ann')).toEqual([])
    expect((await client.keys('native:{*}u:*')).length).toBe(1)
    expect(await store.prune()).toMatchObject({ scanned: 1, deleted: 1 })
    expect(expired).toEqual(['n2:prune:bob'])
    expect((await client.keys('native:*')).sort()).toEqual(['native:meta'])
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
    await store.set('warm', {}) // loads the script
    expect(await trips(() => store.set('new', { n: 1 }))).toBe('EVALSHA')
    expect(await trips(() => store.get('new'))).toBe('HMGET')
    expect(await trips(() => store.set('new', { n: 2 }))).toBe('EVALSHA')
    expect(await trips(() => store.touch('new'))).toBe('EVALSHA')
    // Another process wrote in between: the stale hint costs one more round trip, not a lost write.
    const other = open({ client, prefix: 'trips:' })
    await other.set('new', { n: 3, by: 'other' })
    const patch = (d: SessionData) => ({ ...d, seen: true })
    expect(await trips(() => store.touch('new', { patch }))).toBe('EVALSHA EVALSHA')
    expect((await other.get('new'))!.data).toEqual({ n: 3, by: 'other', seen: true })

    const cold = open({ client: counting, prefix: 'trips:', hintCacheBytes: 0 })
    await cold.get('new')
    expect(await trips(() => cold.touch('new'))).toBe('EVALSHA EVALSHA')
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
})

if (!hasRedisServer) {
  if (process.env.CI === 'true') {
    it('redis-server is installed (required when CI=true)', () => {
      throw new Error(SKIP_MESSAGE)
    })
  } else {
    console.warn(SKIP_MESSAGE)
  }
}
