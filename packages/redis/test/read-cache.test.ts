import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { EventEmitter } from 'node:events'
import { isDeepStrictEqual } from 'node:util'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { createClient } from 'redis'
import { createSessionStore, type SessionData, type SessionStore } from '@levelsession/core'
import { runStoreConformance } from '@levelsession/core/testing'
import { type RedisBackend, redisBackend } from '@levelsession/redis'
import {
  hasRedisServer,
  missingRedisServer,
  type RedisServer,
  startStandalone,
} from '@levelsession/redis/testing'
import { KeyLayout } from '../src/keys.js'
import { Tracker, type DuplicableClient } from '../src/tracking.js'
import { type Client, connectClient, cuttableProxy, until } from './helpers.js'

/** Commands the server has run, by name (INFO commandstats). */
async function commandCalls(client: Client): Promise<Record<string, number>> {
  const info = await client.sendCommand<string>(['INFO', 'commandstats'])
  const calls: Record<string, number> = {}
  for (const [, name, n] of String(info).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    calls[name!] = Number(n)
  }
  return calls
}

/** Reads (GET, MGET) the server ran while `run` ran. */
async function readsDuring(client: Client, run: () => Promise<unknown>): Promise<number> {
  const before = await commandCalls(client)
  await run()
  const after = await commandCalls(client)
  const reads = (c: Record<string, number>) => (c.get ?? 0) + (c.mget ?? 0)
  return reads(after) - reads(before)
}

/**
 * `mine` answers session `s` from its cache again (`other` counts the server's reads), and sees
 * the next write `theirs` makes to it.
 */
async function cachesAgain(
  other: Client,
  mine: SessionStore<SessionData>,
  theirs: SessionStore<SessionData>,
): Promise<void> {
  await until(async () => (await readsDuring(other, () => mine.get('s'))) === 0, 'the cache')
  await theirs.set('s', { n: 3 })
  await until(async () => (await mine.get('s'))?.data.n === 3, 'the invalidation')
}

/** Ids of the server's connections named by the read cache. */
async function trackingConnections(client: Client): Promise<string[]> {
  const list = await client.sendCommand<string>(['CLIENT', 'LIST'])
  return [...list.matchAll(/id=(\d+) .*name=levelsession-tracking /g)].map((m) => m[1]!)
}

describe('Tracker bookkeeping (no server)', () => {
  /** A stand-in client: records commands, answers OK, emits what the test tells it to. */
  function fakeClient() {
    const emitter = new EventEmitter()
    const sent: string[][] = []
    const tracking = Object.assign(emitter, {
      isReady: false,
      isOpen: false,
      connect: () => {
        tracking.isOpen = true
        tracking.isReady = true
        emitter.emit('ready')
        return Promise.resolve(tracking)
      },
      destroy: () => {
        tracking.isOpen = false
        tracking.isReady = false
      },
      sendCommand: (args: string[]) => {
        sent.push(args)
        return Promise.resolve('OK')
      },
    })
    const client = {
      sendCommand: () => Promise.resolve(null),
      duplicate: () => tracking,
    } as unknown as DuplicableClient
    return { client, tracking, sent }
  }

  it('switches tracking on without loop-back', async () => {
    const { client, sent } = fakeClient()
    const tracker = new Tracker(client, new KeyLayout('t:', 2), undefined, () => undefined)
    await tracker.start()
    expect(sent).toEqual([
      ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'],
    ])
    expect(tracker.active).toBe(true)
    tracker.close()
    expect(tracker.active).toBe(false)
  })

  it('a reply is cacheable only if no invalidation of its id and no disconnect came in flight', async () => {
    const { client, tracking } = fakeClient()
    const invalidated: (string | null)[] = []
    const tracker = new Tracker(client, new KeyLayout('t:', 4), undefined, (id) =>
      invalidated.push(id),
    )
    await tracker.start()
    invalidated.length = 0
    const keys = new KeyLayout('t:', 4)

    let ticket = tracker.begin('a')
    expect(tracker.end('a', ticket)).toBe(ticket)
    expect(tracker.isCurrent(ticket)).toBe(true)

    // node-redis handles an invalidation read after a reply before that reply's promise settles.
    ticket = tracker.begin('a')
    tracking.emit('invalidate', keys.session('a'))
    expect(invalidated).toEqual(['a'])
    expect(tracker.end('a', ticket)).toBeUndefined()
    // The next command of that id starts clean.
    ticket = tracker.begin('a')
    expect(tracker.end('a', ticket)).toBe(ticket)

    // Another id's invalidation, and keys that are not sessions, leave it alone.
    ticket = tracker.begin('a')
    tracking.emit('invalidate', keys.session('b'))
    tracking.emit('invalidate', Buffer.from(keys.expiry(0)))
    tracking.emit('invalidate', 'elsewhere:a')
    expect(invalidated).toEqual(['a', 'b'])
    expect(tracker.end('a', ticket)).toBe(ticket)

    // Two in flight: an invalidation between them spoils both.
    const first = tracker.begin('a')
    tracking.emit('invalidate', keys.session('a'))
    const second = tracker.begin('a')
    expect(tracker.end('a', first)).toBeUndefined()
    expect(tracker.end('a', second)).toBeUndefined()

    // This process wrote the session over its other connection meanwhile.
    ticket = tracker.begin('a')
    tracker.taint('a')
    expect(tracker.end('a', ticket)).toBeUndefined()
    tracker.taint('a') // nothing in flight: nothing to remember
    ticket = tracker.begin('a')
    expect(tracker.end('a', ticket)).toBe(ticket)
    ticket = tracker.begin('b')
    tracker.reset()
    expect(tracker.end('b', ticket)).toBeUndefined()
    expect(invalidated.at(-1)).toBeNull()

    // A flush of the server, then a disconnect: nothing earlier counts.
    ticket = tracker.begin('a')
    tracking.emit('invalidate', null)
    expect(tracker.end('a', ticket)).toBeUndefined()
    expect(tracker.isCurrent(ticket)).toBe(false)
    ticket = tracker.begin('a')
    tracking.emit('reconnecting')
    expect(tracker.active).toBe(false)
    expect(tracker.end('a', ticket)).toBeUndefined()
    expect(invalidated.at(-1)).toBeNull()

    // A clear() (reset) while a switch-on is under way does not leave the cache off.
    tracking.emit('reconnecting')
    tracking.emit('ready')
    tracker.reset()
    await until(() => tracker.active, 'switched on despite the reset')
    tracking.emit('reconnecting')

    // Back: tracking is switched on again before anything is cached.
    tracking.emit('ready')
    await until(() => tracker.active)
    ticket = tracker.begin('a')
    expect(tracker.end('a', ticket)).toBe(ticket)
    tracker.close()
  })
})

if (!hasRedisServer) {
  missingRedisServer(it)
} else {
  describe('readCache on a standalone redis-server', () => {
    let server: RedisServer
    let client: Client
    let other: Client
    let prefixes = 0
    const prefix = () => `rc${++prefixes}:`
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled)
      server = await startStandalone()
      ;({ client } = await connectClient(server.url))
      ;({ client: other } = await connectClient(server.url))
    })
    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled)
      client?.destroy()
      other?.destroy()
      await server?.stop()
    })

    /** A store as the tests use it: no cleaner, sessions owned by `data.user`. */
    const storeOn = (backend: RedisBackend) =>
      createSessionStore<SessionData>({
        backend,
        cleanupInterval: 0,
        userId: (data) => data.user as string | undefined,
      })
    /** This process's store, with the read cache, opened. */
    const open = async (name = prefix()) => {
      const store = storeOn(redisBackend({ client, prefix: name, readCache: true }))
      await store.ready()
      return store
    }
    /** Another process: its own store on its own client, same prefix, no read cache. */
    const theirsOn = (name: string) => storeOn(redisBackend({ client: other, prefix: name }))

    it('refuses bad options at once', async () => {
      expect(() => redisBackend({ client, readCache: 'yes' as unknown as boolean })).toThrowError(
        TypeError,
      )
      expect(() => redisBackend({ client, readCache: true, hintCacheBytes: 0 })).toThrowError(
        RangeError,
      )
      const cluster = {
        sendCommand: () => Promise.resolve(null),
        masters: [],
        nodeClient: () => Promise.resolve(client),
      } as unknown as Parameters<typeof redisBackend>[0]['client']
      expect(() => redisBackend({ client: cluster, readCache: true })).toThrowError(
        /standalone node-redis client/,
      )
      // Nothing was connected by the refused ones.
      expect(await trackingConnections(other)).toEqual([])
    })

    it('answers repeated loads from memory, and opens one connection of its own', async () => {
      const store = await open()
      expect(await trackingConnections(other)).toHaveLength(1)
      // A session this process wrote, or read, is answered from memory from then on.
      await store.set('s1', { views: 1 })
      await store.set('s2', { views: 2 })
      await store.touch('s2', { ttl: 2 * 86_400_000 })
      expect(await other.sendCommand(['EXISTS', new KeyLayout('x', 16).session('x')])).toBe(0)
      const reads = await readsDuring(other, async () => {
        for (let i = 0; i < 20; i++) {
          expect((await store.get('s1'))?.data).toEqual({ views: 1 })
          expect((await store.get('s2'))?.data).toEqual({ views: 2 })
        }
      })
      expect(reads).toBe(0)
      // Each answer is a fresh copy: changing one changes nothing kept.
      const got = await store.get('s1')
      got!.data.views = 99
      expect((await store.get('s1'))?.data).toEqual({ views: 1 })
      await store.close()
      await until(async () => (await trackingConnections(other)).length === 0)
    })

    it('sees every write by another process at the next load', async () => {
      const name = prefix()
      const mine = await open(name)
      const theirs = theirsOn(name)
      // Within one process, the other store's write can resolve a few microseconds before its
      // invalidation reaches the tracking connection (Redis orders nothing across connections),
      // so each check waits for it; test/node-cluster.test.ts checks the strict order a real
      // request gives, across processes and HTTP.
      const sees = (id: string, expected: unknown) =>
        until(async () => isDeepStrictEqual((await mine.get(id))?.data, expected), 'the write')
      await theirs.set('s', { n: 0 })
      for (let n = 1; n <= 100; n++) {
        await mine.get('s') // cached from here on
        await theirs.set('s', { n })
        await sees('s', { n })
      }
      // A session this process wrote itself (kept in memory) still hears the others' writes.
      for (let n = 1; n <= 20; n++) {
        await mine.set('w', { mine: n })
        expect((await mine.get('w'))?.data).toEqual({ mine: n })
        await theirs.set('w', { theirs: n })
        await sees('w', { theirs: n })
        await mine.touch('w', { ttl: 2 * 86_400_000 + n })
        await theirs.set('w', { touched: n })
        await sees('w', { touched: n })
      }
      await mine.get('s')
      await theirs.destroy('s')
      await sees('s', undefined)

      // A sign-out everywhere from another process.
      await mine.set('u1', { user: 'ann' })
      await mine.set('u2', { user: 'ann' })
      await mine.get('u1')
      await mine.get('u2')
      expect(await theirs.destroyUser('ann')).toBe(2)
      await sees('u1', undefined)
      await sees('u2', undefined)

      // Raw commands on the key, and a flush of the whole database.
      await mine.set('r', { n: 1 })
      await mine.get('r')
      await other.sendCommand(['DEL', new KeyLayout(name, 16).session('r')])
      await sees('r', undefined)
      await mine.set('f', { n: 1 })
      await mine.get('f')
      await other.sendCommand(['FLUSHDB'])
      await sees('f', undefined)
      await theirs.close()
      await mine.close()
    })

    it('drops the cache while its connection is down, and serves fresh records after', async () => {
      const name = prefix()
      // The application's client (and so the tracking connection, its duplicate) reach Redis
      // through a proxy that can cut them off; the other process talks to Redis directly.
      const proxy = await cuttableProxy(server.port)
      const { client: cut } = await connectClient(proxy.url)
      const mine = storeOn(redisBackend({ client: cut, prefix: name, readCache: true }))
      const theirs = theirsOn(name)
      for (const id of ['s', 't']) {
        await mine.set(id, { n: 1 })
        await mine.get(id)
        expect(await readsDuring(other, () => mine.get(id))).toBe(0)
      }

      // Cut off: the invalidations of the gap are lost, so nothing kept before may answer.
      await proxy.cut()
      await until(() => !cut.isReady)
      await theirs.set('s', { n: 2 })
      await theirs.set('t', { n: 2 })
      // Down: loads fail (the client cannot reach Redis), never answer from before the gap.
      await expect(mine.get('t')).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
      await proxy.restore()
      await until(() => cut.isReady)
      // Back: whether or not tracking is on again yet, nothing from before the gap answers.
      expect((await mine.get('s'))?.data).toEqual({ n: 2 })
      expect((await mine.get('t'))?.data).toEqual({ n: 2 })
      // Tracking is back on: the cache answers again, and still hears the other process. (Only
      // eventually here: the proxy, in this process, forwards the invalidation a turn or two
      // after the other store's write resolved, so the next load may still come first.)
      await cachesAgain(other, mine, theirs)
      expect(unhandled).toEqual([])
      await theirs.close()
      await mine.close()
      cut.destroy()
      await proxy.close()
    })

    it('drops the cache when its own connection is killed', async () => {
      const name = prefix()
      const mine = await open(name)
      await mine.set('s', { n: 1 })
      await mine.get('s')
      const [id] = await trackingConnections(other)
      await other.sendCommand(['CLIENT', 'KILL', 'ID', id!])
      // Written while no connection of this process is tracking the key: no invalidation.
      await other.sendCommand(['SET', new KeyLayout(name, 16).session('s'), 'not a record'])
      await until(async () => {
        const ids = await trackingConnections(other)
        return ids.length === 1 && ids[0] !== id
      }, 'the reconnection')
      // Back: what was kept before the gap never answers.
      expect(await mine.get('s')).toBeUndefined()
      await mine.close()
    })

    it('answers from memory under fake timers', async () => {
      const store = await open()
      await store.set('s', { n: 1 })
      await store.get('s')
      vi.useFakeTimers()
      try {
        expect((await store.get('s'))?.data).toEqual({ n: 1 })
      } finally {
        vi.useRealTimers()
      }
      await store.close()
    })

    it('fails to open with ERR_STORE_OPEN when the server refuses CLIENT TRACKING', async () => {
      await other.sendCommand(['ACL', 'SETUSER', 'notrack', 'on', '>pw', '~*', '&*', '+@all'])
      await other.sendCommand(['ACL', 'SETUSER', 'notrack', '-client|tracking'])
      const limited = await createClient({ url: server.url, username: 'notrack', password: 'pw' })
        .on('error', () => undefined)
        .connect()
      const store = storeOn(redisBackend({ client: limited, prefix: prefix(), readCache: true }))
      const started = performance.now()
      const error = (await store.get('x').catch((e: unknown) => e)) as Error
      expect(error).toMatchObject({ code: 'ERR_STORE_OPEN' })
      expect(error.message).toMatch(/read cache.*CLIENT TRACKING/s)
      // The server's own refusal, at once: not a retry loop ended by the command timeout.
      expect(error.message).toMatch(/NOPERM/)
      expect(performance.now() - started).toBeLessThan(2_000)
      // Its connection is closed again, and the application's client still works.
      await until(async () => (await trackingConnections(other)).length === 0)
      expect(await limited.ping()).toBe('PONG')
      await store.close().catch(() => undefined)
      limited.destroy()
    })

    it('closing while it opens leaves no connection, no rejection and no timer behind', async () => {
      for (const delay of [0, 0.5, 1, 2, 5]) {
        // The backend itself: a store waits for its open before closing it.
        const backend = redisBackend({ client, prefix: prefix(), readCache: true })
        const opening = backend.open().catch((e: unknown) => e)
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        await backend.close()
        await opening
      }
      // Closed while its connection reconnects (killed by the server just before).
      for (const delay of [0, 1, 5, 20, 60]) {
        const backend = redisBackend({ client, prefix: prefix(), readCache: true })
        await backend.open()
        const [id] = await trackingConnections(other)
        await other.sendCommand(['CLIENT', 'KILL', 'ID', id!])
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        await backend.close()
      }
      await until(async () => (await trackingConnections(other)).length === 0, 'no connection')
      // And none comes back later (a socket made while closing, finished afterwards).
      await new Promise((r) => setTimeout(r, 300))
      expect(await trackingConnections(other)).toEqual([])
      expect(unhandled).toEqual([])
    })

    it('stops answering from a tracking connection that went silent, and replaces it', async () => {
      const name = prefix()
      // A proxy that can stop forwarding one connection without closing it (a half-open path).
      const pairs: { up: Socket; down: Socket }[] = []
      const proxy = createServer((down) => {
        const up = connect(server.port, '127.0.0.1')
        down.pipe(up).pipe(down)
        const drop = () => (up.destroy(), down.destroy())
        down.on('error', drop).on('close', drop)
        up.on('error', drop).on('close', drop)
        pairs.push({ up, down })
      })
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
      const url = `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const { client: viaProxy } = await connectClient(url)
      const mine = storeOn(
        redisBackend({ client: viaProxy, prefix: name, readCache: true, commandTimeout: 300 }),
      )
      const theirs = theirsOn(name)
      await mine.set('s', { n: 1 })
      expect(await readsDuring(other, () => mine.get('s'))).toBe(0)
      expect(pairs).toHaveLength(2) // the client's connection, then the tracking one
      const tracking = pairs[1]!
      tracking.up.unpipe(tracking.down)
      tracking.down.unpipe(tracking.up)
      await theirs.set('s', { n: 2 })
      // Within the lease (2 s) the old record may still answer; then loads go over the client.
      await until(async () => (await mine.get('s'))?.data.n === 2, 'a fresh read')
      // The silent connection is replaced (its PING timed out) and the cache works again.
      await until(() => pairs.length === 3, 'a new tracking connection')
      await cachesAgain(other, mine, theirs)
      expect(unhandled).toEqual([])
      await theirs.close()
      await mine.close()
      viaProxy.destroy()
      for (const { up, down } of pairs) {
        up.destroy()
        down.destroy()
      }
      await new Promise((r) => proxy.close(r))
    })

    it('agrees with the other processes after concurrent writes, and keeps the indexes exact', async () => {
      const name = prefix()
      const backends = [
        redisBackend({ client, prefix: name, readCache: true }),
        redisBackend({ client, prefix: name, readCache: true }),
        redisBackend({ client: other, prefix: name }),
      ]
      const stores = backends.map(storeOn)
      for (let round = 0; round < 30; round++) {
        await Promise.all(
          stores.map(async (store, i) => {
            await store.get('c')
            await store.set('c', { round, user: `u${(round + i) % 2}` })
          }),
        )
        // Every store ends up with the last write (see the note on `sees` above).
        await until(async () => {
          const seen = await Promise.all(stores.map(async (store) => (await store.get('c'))?.data))
          return (
            (seen[0] as { round?: number } | undefined)?.round === round &&
            isDeepStrictEqual(seen[1], seen[0]) &&
            isDeepStrictEqual(seen[2], seen[0])
          )
        }, 'agreement')
      }
      expect(await backends[2]!.verify()).toEqual([])
      const owner = (await stores[2]!.get('c'))!.data.user as string
      expect((await stores[0]!.listUser(owner)).map((s) => s.id)).toEqual(['c'])
      for (const store of stores) await store.close()
    })

    runStoreConformance('redis with readCache', (options) =>
      createSessionStore({
        ...options,
        backend: redisBackend({ client, prefix: prefix(), readCache: true }),
      }),
    )
  })
}
