import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import { createSessionStore } from '@levelsession/core'
import { redisBackend } from '@levelsession/redis'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

const run = promisify(execFile)
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

describe.skipIf(!hasRedisServer)('across processes (built package)', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startStandalone()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('an ESM and a CommonJS process writing the same sessions leave exact indexes', async () => {
    const results = await Promise.all(
      [
        ['hammer.mjs', '1'],
        ['hammer.cjs', '2'],
        ['hammer.mjs', '3'],
      ].map(async ([name, seed]) => {
        const { stdout } = await run(
          process.execPath,
          [fixture(name!), server.url, 'shared:', seed!],
          { timeout: 30_000 },
        )
        return JSON.parse(stdout) as { format: string; done: number }
      }),
    )
    expect(results).toEqual([
      { format: 'esm', done: 300 },
      { format: 'cjs', done: 300 },
      { format: 'esm', done: 300 },
    ])
    const client = await createClient({ url: server.url }).connect()
    const store = createSessionStore({
      backend: redisBackend({ client, prefix: 'shared:' }),
      userId: (d) => d.user as string,
      cleanupInterval: 0,
    })
    expect(await store.backend.verify!()).toEqual([])
    const listed = (await Promise.all(['u0', 'u1', 'u2'].map((u) => store.listUser(u)))).flat()
    expect(listed.length).toBe(await store.count())
    await store.close()
    client.destroy()
  })
})
