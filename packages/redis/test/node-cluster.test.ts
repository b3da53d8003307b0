/**
 * A Node cluster (node:cluster) of four worker processes behind one port, each with its own
 * Redis client, core store and Express app, on the built packages: one session, created by
 * whichever worker answers first, is read and updated by all of them. Run with and without the
 * read cache: with it, each worker answers loads from memory and must still see every write the
 * others made before the request arrived.
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

describe.skipIf(!hasRedisServer).each([
  ['', 'cluster:'],
  ['readCache', 'cached:'],
])('a Node cluster of four workers on one Redis %s', (mode, prefix) => {
  let server: RedisServer
  let primary: Child
  let url: string

  beforeAll(async () => {
    server = await startStandalone()
    primary = spawnNode(fixture, [server.url, prefix, String(WORKERS), mode])
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

  it('a read on any worker sees the write another worker made just before', async () => {
    const browser = request.agent(url)
    const peek = async () =>
      (await browser.get('/peek').set('Connection', 'close').expect(200)).body as Answer
    const { client } = await connectClient(server.url)
    const reads = async () => {
      const info = await client.sendCommand<string>(['INFO', 'commandstats'])
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
      return calls('get') + calls('mget')
    }
    let peeked = 0
    const before = await reads()
    try {
      for (let round = 1; round <= 10; round++) {
        const { views } = await visit(browser)
        // Every worker, four times, in turn.
        for (let i = 0; i < 4 * WORKERS; i++) {
          expect((await peek()).views).toBe(views)
          peeked++
        }
        expect(views).toBe(round)
      }
      const read = (await reads()) - before
      // With the read cache, most peeks are answered from the worker's memory.
      if (mode === 'readCache') expect(read).toBeLessThan(peeked / 2)
      else expect(read).toBeGreaterThanOrEqual(peeked)
    } finally {
      client.destroy()
    }
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
      backend: redisBackend({ client, prefix }),
      cleanupInterval: 0,
    })
    try {
      expect(await store.count()).toBe(6)
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
