/**
 * The redis-server processes of @levelsession/redis's test fixtures, in the shape the `--redis`
 * tests use: the URLs to reach them and `stop()`.
 */
import * as servers from '@levelsession/redis/testing'

export { freePort, hasRedisServer, missingRedisServer } from '@levelsession/redis/testing'

export const SKIP_MESSAGE = servers.SKIP_MESSAGE.replace('the Redis tests', 'the --redis tests')

export interface Servers {
  /** One URL per server (the first one is enough to reach a cluster). */
  urls: string[]
  stop(): Promise<void>
}

export async function startStandalone(): Promise<Servers> {
  const server = await servers.startStandalone()
  return { urls: [server.url], stop: server.stop }
}

export async function startCluster(): Promise<Servers> {
  const cluster = await servers.startCluster()
  return { urls: cluster.nodes.map((n) => n.url), stop: cluster.stop }
}
