import { afterAll, beforeAll, describe, it } from 'vitest'
import { createClient, createCluster } from 'redis'
import { createSessionStore } from '@levelsession/core'
import { runStoreConformance } from '@levelsession/core/testing'
import { redisBackend } from '@levelsession/redis'
import {
  hasRedisServer,
  missingRedisServer,
  type RedisClusterServers,
  type RedisServer,
  startCluster,
  startStandalone,
} from '@levelsession/redis/testing'

let stores = 0
const prefix = () => `conf${++stores}:`

if (!hasRedisServer) {
  missingRedisServer(it)
} else {
  describe('standalone redis-server', () => {
    let server: RedisServer
    let client: ReturnType<typeof createClient>
    beforeAll(async () => {
      server = await startStandalone()
      client = await createClient({ url: server.url, disableOfflineQueue: true })
        .on('error', () => undefined)
        .connect()
    })
    afterAll(async () => {
      client?.destroy()
      await server?.stop()
    })

    runStoreConformance('redis', (options) =>
      createSessionStore({ ...options, backend: redisBackend({ client, prefix: prefix() }) }),
    )
    runStoreConformance('redis without hints, one bucket', (options) =>
      createSessionStore({
        ...options,
        backend: redisBackend({ client, prefix: prefix(), hintCacheBytes: 0, buckets: 1 }),
      }),
    )
  })

  describe('redis cluster of three masters', () => {
    let servers: RedisClusterServers
    let cluster: ReturnType<typeof createCluster>
    beforeAll(async () => {
      servers = await startCluster()
      cluster = await createCluster({
        rootNodes: servers.nodes.map(({ url }) => ({ url })),
        defaults: { disableOfflineQueue: true },
      })
        .on('error', () => undefined)
        .connect()
    })
    afterAll(async () => {
      cluster?.destroy()
      await servers?.stop()
    })

    runStoreConformance('redis cluster', (options) =>
      createSessionStore({
        ...options,
        backend: redisBackend({ client: cluster, prefix: prefix() }),
      }),
    )
  })
}
