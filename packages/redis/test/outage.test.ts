import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import { createSessionStore, type SessionData, type SessionStore } from '@levelsession/core'
import { redisBackend } from '@levelsession/redis'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('condition never held')
}

describe.skipIf(!hasRedisServer)('Redis stopped mid-run', () => {
  let server: RedisServer
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  beforeAll(async () => {
    server = await startStandalone()
    process.on('unhandledRejection', onUnhandled)
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await server?.stop()
  })

  const connect = (options: { disableOfflineQueue: boolean }) => {
    const clientErrors: Error[] = []
    const client = createClient({
      url: server.url,
      ...options,
      socket: { connectTimeout: 500, reconnectStrategy: () => 50 },
    }).on('error', (e: Error) => clientErrors.push(e))
    return { client, clientErrors }
  }

  const roundTrip = async (store: SessionStore<SessionData>, id: string) => {
    await store.set(id, { n: 1 })
    return (await store.get(id))?.data
  }

  it('with disableOfflineQueue, calls fail at once with ERR_STORE_IO and work again after', async () => {
    const { client, clientErrors } = connect({ disableOfflineQueue: true })
    await client.connect()
    const storeErrors: Error[] = []
    const store = createSessionStore({
      backend: redisBackend({ client, prefix: 'outage1:' }),
      cleanupInterval: 20, // the cleaner keeps failing during the outage, reported not thrown
      userId: (data: SessionData) => data.user as string | undefined,
    }).on('error', (e) => storeErrors.push(e))
    expect(await roundTrip(store, 'a')).toEqual({ n: 1 })

    await server.kill()
    await until(() => !client.isReady)
    const calls = await Promise.allSettled([
      store.get('a'),
      store.set('b', {}),
      // A touch that must write (a lazy one right after a read is answered from that read).
      store.touch('a', { ttl: 2 * 86_400_000 }),
      store.destroy('a'),
      store.count(),
      store.listUser('u'),
      store.prune(),
    ])
    for (const call of calls) {
      expect(call.status).toBe('rejected')
      expect((call as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_STORE_IO' })
    }
    await until(() => storeErrors.length > 0)
    expect(storeErrors[0]).toMatchObject({ code: 'ERR_STORE_IO' })

    await server.restart()
    await until(() => client.isReady)
    // The restarted server has lost its data (no persistence here) and its script cache.
    expect(await roundTrip(store, 'c')).toEqual({ n: 1 })
    expect(await store.count()).toBe(1)
    expect(clientErrors.length).toBeGreaterThan(0)
    expect(unhandled).toEqual([])
    await store.close()
    client.destroy()
  })

  /** A store on a client with the offline queue on (commandTimeout 300), used once, then the server killed. */
  const offlineQueueAfterKill = async (prefix: string) => {
    const { client } = connect({ disableOfflineQueue: false })
    await client.connect()
    const store = createSessionStore({
      backend: redisBackend({ client, prefix, commandTimeout: 300 }),
      cleanupInterval: 0,
    })
    expect(await roundTrip(store, 'a')).toEqual({ n: 1 })
    await server.kill()
    await until(() => !client.isReady)
    return { client, store }
  }

  it('with the offline queue on, commandTimeout bounds each call', async () => {
    const { client, store } = await offlineQueueAfterKill('outage2:')
    const error = (await store.get('a').catch((e: unknown) => e)) as Error & { cause: Error }
    expect(error).toMatchObject({ code: 'ERR_STORE_IO' })
    expect(error.cause.name).toBe('TimeoutError')
    expect(error.message).toContain('no reply from Redis within 300 ms (commandTimeout)')
    await server.restart()
    await until(() => client.isReady)
    expect(await roundTrip(store, 'b')).toEqual({ n: 1 })
    expect(unhandled).toEqual([])
    await store.close()
    client.destroy()
  })

  it('updates of one id queued during an outage fail within about one commandTimeout, not one each', async () => {
    const { client, store } = await offlineQueueAfterKill('outage3:')
    const started = performance.now()
    const settled = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        store.set('a', { n }).then(
          () => 'stored',
          (e: { code: string }) => e.code,
        ),
      ),
    )
    const closing = store.close()
    await closing
    // One after another, ten queued calls used to take ten timeouts (3 s).
    expect(settled).toEqual(Array(10).fill('ERR_STORE_IO'))
    expect(performance.now() - started).toBeLessThan(1500)
    await server.restart()
    await until(() => client.isReady)
    expect(unhandled).toEqual([])
    client.destroy()
  })
})
