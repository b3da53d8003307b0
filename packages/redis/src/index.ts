/**
 * @module
 * @levelsession/redis: the Redis/Valkey backend of @levelsession/core, for sessions shared by
 * many processes and hosts (Node cluster, PM2, several servers), on a node-redis 5 client or
 * cluster client.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { createSessionStore } from '@levelsession/core'
 * import { redisBackend } from '@levelsession/redis'
 * const client = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true })
 *   .on('error', (error) => console.error('redis', error))
 *   .connect()
 * const store = createSessionStore({ backend: redisBackend({ client, prefix: 'sess:' }) })
 * ```
 */
export {
  DEFAULT_COMMAND_TIMEOUT,
  DEFAULT_HINT_CACHE_BYTES,
  DEFAULT_PREFIX,
  RedisBackend,
  redisBackend,
  type RedisBackendOptions,
  type SaveParams,
} from './backend.js'
export { DEFAULT_BUCKETS, KeyLayout, LAYOUT_VERSION } from './keys.js'
export type { RedisClient, RedisCluster } from './connection.js'
