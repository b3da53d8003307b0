/**
 * A Node cluster (node:cluster) of four worker processes behind one port, each with its own
 * Redis client, core store and Express app, on the built packages: one session, created by
 * whichever worker answers first, is read and updated by all of them.
 */
import { fileURLToPath } from 'node:url'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { redisBackend } from '@levelsession/redis'
import { type Child, connectClient, spawnNode, stopAll } from './helpers.js'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

const fixture = fileURLToPath(new URL('./fixtures/cluster.mjs', import.meta.url))
const WORKERS = 4

interface Answer {
  views: number
  pid: number
}

describe.skipIf(!hasRedisServer)('a Node cluster of four workers on one Redis', () => {
  let server: RedisServer
  let primary: Child
  let url: string

  beforeAll(async () => {
    server = await startStandalone()
    primary = spawnNode(fixture, [server.url, 'cluster:', String(WORKERS)])
    const { port } = (await primary.firstMessage) as { port: number }
    url = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    await stopAll()
    await server?.stop()
  })

  /**
   * `Connection: close` makes every request a new connection, which the primary hands to the
   * workers in turn (round robin); a kept-alive connection would stay with one worker.
   */
  const visit = async (browser: ReturnType<typeof request.agent>): Promise<Answer> => {
    const res = await browser.get('/count').set('Connection', 'close').expect(200)
    return res.body as Answer
  }

  it('every worker reads and updates the same session: the counter never skips or repeats', async () => {
    const browser = request.agent(url)
    const answers: Answer[] = []
    for (let i = 0; i < 40; i++) answers.push(await visit(browser))
    expect(answers.map((a) => a.views)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    const pids = new Set(answers.map((a) => a.pid))
    expect(pids.size).toBeGreaterThanOrEqual(3)
    expect(pids.has(primary.process.pid!)).toBe(false)
    // Consecutive visits were answered by different workers, so a session written by one
    // process was read back by another.
    expect(answers.some((a, i) => i > 0 && a.pid !== answers[i - 1]!.pid)).toBe(true)
  })

  it('several browsers at once each keep an exact counter', async () => {
    const counts = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const browser = request.agent(url)
        const views: number[] = []
        for (let i = 0; i < 15; i++) views.push((await visit(browser)).views)
        return views
      }),
    )
    for (const views of counts) {
      expect(views).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
    }
    // The indexes the workers wrote concurrently are exact.
    const { client } = await connectClient(server.url)
    const store = createSessionStore({
      backend: redisBackend({ client, prefix: 'cluster:' }),
      cleanupInterval: 0,
    })
    try {
      expect(await store.count()).toBe(5)
      expect(await store.backend.verify!()).toEqual([])
    } finally {
      await store.close()
      client.destroy()
    }
  })

  it('the workers shut down cleanly with the primary', async () => {
    expect(await primary.stop()).toBe(0)
    expect(primary.stderr()).toBe('')
  })
})
