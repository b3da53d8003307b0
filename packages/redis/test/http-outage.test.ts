/**
 * Redis stopped mid-run, seen over HTTP: an Express app (built packages, loaded with `require`,
 * in its own process) on the Redis backend; the redis-server is killed (SIGKILL), requests fail
 * at once with a 500 instead of hanging, the app process reports nothing unhandled, and after
 * redis-server restarts on the same port the same sessions carry on (the server keeps its data
 * in an append-only file here).
 */
import { fileURLToPath } from 'node:url'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnNode, stopAll, until } from './helpers.js'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

const fixture = fileURLToPath(new URL('./fixtures/express-server.cjs', import.meta.url))

/** Generous: a request that has not settled by then has hung. */
const HUNG = 10_000

describe.skipIf(!hasRedisServer)('an Express app while Redis is stopped and restarted', () => {
  let server: RedisServer
  let prefixes = 0
  beforeAll(async () => {
    server = await startStandalone(['appendonly yes', 'appendfsync always'])
  })
  afterAll(async () => {
    await stopAll()
    await server?.stop()
  })

  it.each([
    { queue: 'off', commandTimeout: 5_000, bound: 'disableOfflineQueue' },
    { queue: 'on', commandTimeout: 300, bound: 'commandTimeout' },
  ])(
    'offline queue $queue: every request during the outage is a 500 (bounded by $bound); service resumes',
    async ({ queue, commandTimeout }) => {
      const app = spawnNode(fixture, [
        server.url,
        `outage${++prefixes}:`,
        queue,
        String(commandTimeout),
      ])
      const { port } = (await app.firstMessage) as { port: number }
      const url = `http://127.0.0.1:${port}`
      const browser = request.agent(url)
      const count = async () => (await browser.get('/count').timeout(HUNG)).body as unknown
      expect(await count()).toEqual({ views: 1 })
      expect(await count()).toEqual({ views: 2 })

      await server.kill()
      const during = [
        ...(await Promise.all(
          Array.from({ length: 10 }, () => browser.get('/count').timeout(HUNG)),
        )),
      ]
      for (let i = 0; i < 5; i++) during.push(await browser.get('/count').timeout(HUNG))
      for (const res of during) {
        expect(res.status).toBe(500)
        expect(res.body).toEqual({ code: 'ERR_STORE_IO' })
      }

      await server.restart()
      // Poll until a request succeeds: failed ones change nothing, so the first success is the
      // third visit of the session the server kept.
      let resumed: unknown
      await until(async () => {
        const res = await browser.get('/count').timeout(HUNG)
        if (res.status === 200) resumed = res.body
        return res.status === 200
      }, 'service resumed')
      expect(resumed).toEqual({ views: 3 })
      expect(await count()).toEqual({ views: 4 })
      expect((await request(url).get('/count').timeout(HUNG)).body).toEqual({ views: 1 })

      const stats = (await request(url).get('/stats')).body as Record<string, number>
      expect(stats.appErrors).toBeGreaterThanOrEqual(during.length)
      expect(stats.clientErrors).toBeGreaterThan(0)
      expect(app.process.exitCode).toBeNull() // still running
      expect(await app.stop()).toBe(0)
      expect(app.stderr()).not.toContain('UNHANDLED')
      expect(app.stderr()).toBe('')
    },
  )
})
