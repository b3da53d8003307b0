/**
 * `import --from-redis`: sessions that connect-redis wrote (through express-session's Store API,
 * on a real redis-server) move into a LevelDB directory or a @levelsession/redis store with their
 * data, their remaining lifetime and, with `--user-field`, their owner. The old keys are left
 * as they were.
 */
import { createSessionStore, generateSessionId, type SessionStore } from '@levelsession/core'
import { redisBackend } from '@levelsession/redis'
import { RedisStore } from 'connect-redis'
import session from 'express-session'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, json, tempDir } from './helpers.js'
import {
  freePort,
  hasRedisServer,
  missingRedisServer,
  type Servers,
  SKIP_MESSAGE,
  startCluster,
  startStandalone,
} from './redis-server.js'

type Client = ReturnType<typeof createClient>
type AnyData = Record<string, unknown>

const HOUR = 3_600_000

/** A session as express-session hands it to a store (the cookie as its JSON). */
function expressSession(maxAge: number | null, fields: AnyData): session.SessionData {
  // Its defaults: path '/', httpOnly; maxAge sets expires (a browser-session cookie has none).
  const cookie = new session.Cookie()
  if (maxAge !== null) cookie.maxAge = maxAge
  return { cookie, ...fields }
}

/** connect-redis's `set`, as express-session calls it. */
function save(store: RedisStore, id: string, data: session.SessionData): Promise<void> {
  return new Promise((resolve, reject) => {
    void store.set(id, data, (error?: unknown) =>
      error instanceof Error ? reject(error) : resolve(),
    )
  })
}

interface FromRedisReport {
  path?: string
  redis?: string
  prefix?: string
  from: string
  fromPrefix: string
  created: boolean
  keys: number
  ignored: number
  withoutOwner?: number
  imported: number
  skipped: number
  rejected: number
  rejects: { key: string; reason: string }[]
}

if (!hasRedisServer) {
  missingRedisServer(it, SKIP_MESSAGE)
} else {
  describe('import --from-redis (sessions written by connect-redis)', () => {
    let redis: Servers
    let url: string
    let client: Client
    /** Every session the old store holds, as express-session gave it (JSON round trip). */
    const written = new Map<string, AnyData>()
    let ann: string[]
    let writtenAt: number

    beforeAll(async () => {
      redis = await startStandalone()
      url = redis.urls[0]!
      client = createClient({ url })
      client.on('error', () => undefined)
      await client.connect()
      const store = new RedisStore({ client })
      const noTtl = new RedisStore({ client, disableTTL: true })
      writtenAt = Date.now()
      ann = []
      for (let i = 0; i < 300; i++) {
        const id = generateSessionId()
        const user = ['ann', 'bob', 'cy'][i % 3]!
        const data = expressSession(HOUR, {
          views: i,
          passport: { user },
          ...(i % 2 === 0 ? { userId: 1000 + (i % 3) } : {}),
        })
        await save(store, id, data)
        written.set(id, JSON.parse(JSON.stringify(data)) as AnyData)
        if (user === 'ann') ann.push(id)
      }
      // A browser-session cookie: connect-redis gives the key its default TTL (one day).
      const browser = generateSessionId()
      const browserData = expressSession(null, { views: 'browser' })
      await save(store, browser, browserData)
      written.set(browser, JSON.parse(JSON.stringify(browserData)) as AnyData)
      // disableTTL: a key that never expires; the cookie's own expiry applies.
      const forever = generateSessionId()
      const foreverData = expressSession(2 * HOUR, { views: 'no ttl' })
      await save(noTtl, forever, foreverData)
      written.set(forever, JSON.parse(JSON.stringify(foreverData)) as AnyData)
    })
    afterAll(async () => {
      client?.destroy()
      await redis?.stop()
    })

    it('moves every session into a new LevelDB directory, with data, lifetime and owner', async () => {
      const path = join(await tempDir(), 'sessions')
      const before = Date.now()
      const run = await cli([
        'import',
        path,
        '--from-redis',
        url,
        '--user-field',
        'passport.user',
        '--json',
      ])
      const after = Date.now()
      expect(run).toMatchObject({ code: 0, stderr: '' })
      expect(json<FromRedisReport>(run.stdout)).toEqual({
        path,
        from: url,
        fromPrefix: 'sess:',
        created: true,
        keys: 302,
        ignored: 0,
        withoutOwner: 2, // the browser-session and no-TTL ones have no passport
        imported: 302,
        skipped: 0,
        rejected: 0,
        rejects: [],
        durationMs: expect.any(Number) as number,
      })

      const store = createSessionStore<AnyData>({ path, userId: () => undefined })
      try {
        for (const [id, data] of written) {
          const found = await store.get(id)
          expect(found?.data, id).toEqual(data)
        }
        // The lifetime left on each key (an hour from when connect-redis wrote it).
        const first = await store.get([...written.keys()][0]!)
        expect(first!.expiresAt).toBeGreaterThan(writtenAt + HOUR - 2_000)
        expect(first!.expiresAt).toBeLessThanOrEqual(after + HOUR)
        expect(first!.createdAt).toBeGreaterThanOrEqual(before)
        // connect-redis's default TTL for a browser-session cookie: one day.
        const browser = [...written].find(([, d]) => d.views === 'browser')![0]
        expect((await store.get(browser))!.expiresAt).toBeGreaterThan(before + 23 * HOUR)
        // No TTL on the key: the cookie's expires (two hours) is the lifetime.
        const forever = [...written].find(([, d]) => d.views === 'no ttl')!
        const cookie = forever[1].cookie as { expires: string }
        expect((await store.get(forever[0]))!.expiresAt).toBe(Date.parse(cookie.expires))
        // The owners from --user-field: "sign ann out everywhere" finds her sessions.
        const anns = await store.listUser('ann')
        expect(anns.map((r) => r.id).sort()).toEqual([...ann].sort())
        expect(await store.listUser('nobody')).toEqual([])
      } finally {
        await store.close()
      }
      // The old store is untouched: the app can still go back to it.
      expect(await client.keys('sess:*')).toHaveLength(302)
    })

    it('a numeric user id field becomes the owner as a string', async () => {
      const path = join(await tempDir(), 'numeric')
      const run = await cli(['import', path, '--from-redis', url, '--user-field', 'userId'])
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(
        /Created the database and imported 302 sessions into .* from redis:\/\/127\.0\.0\.1:\d+ prefix sess: in .*; skipped 0 expired; rejected 0 keys\./,
      )
      // Half the sessions and the two extra ones carry no userId: the report says so.
      expect(run.stdout).toMatch(
        /152 sessions had no user id at --user-field userId: destroyUser will not find them\./,
      )
      const store = createSessionStore<AnyData>({ path, userId: () => undefined })
      try {
        const owned = await store.listUser(1000)
        expect(owned.length).toBe(50)
        expect(owned.every((r) => r.userId === '1000' && (r.data.views as number) % 6 === 0)).toBe(
          true,
        )
      } finally {
        await store.close()
      }
    })

    it('into @levelsession/redis on the same server and prefix, twice: the new keys are not read back', async () => {
      const report = async () => {
        const run = await cli(['import', '--redis', url, '--from-redis', url, '--json'])
        expect(run).toMatchObject({ code: 0, stderr: '' })
        return json<FromRedisReport>(run.stdout)
      }
      const first = await report()
      expect(first).toMatchObject({ redis: url, prefix: 'sess:', created: true, keys: 302 })
      expect(first.imported).toBe(302)
      // The store's own keys now share the prefix; a second run reads only the old sessions.
      const second = await report()
      expect(second).toMatchObject({ created: false, keys: 302, imported: 302, rejected: 0 })
      // Its 302 sessions, the expiry indexes and owner maps of the buckets used, and its meta hash.
      expect(second.ignored).toBeGreaterThan(302)
      expect(second.ignored).toBe((await client.keys('sess:{*')).length + 1)

      const store: SessionStore<AnyData> = createSessionStore<AnyData>({
        backend: redisBackend({ client }),
        cleanupInterval: 0,
      })
      try {
        expect(await store.count()).toBe(302)
        const [id, data] = [...written].find(([, d]) => d.views === 7)!
        expect((await store.get(id))!.data).toEqual(data)
      } finally {
        await store.close()
      }
    })

    it('rejects keys that are not sessions, naming them, and imports the rest', async () => {
      const prefix = 'odd:'
      const good = generateSessionId()
      await client.set(`${prefix}${good}`, JSON.stringify({ cookie: {}, ok: true }), { EX: 600 })
      await client.hSet(`${prefix}hash`, 'a', '1')
      await client.set(`${prefix}text`, 'not json', { EX: 600 })
      await client.set(`${prefix}list`, '[1,2]', { EX: 600 })
      await client.set(`${prefix}${'x'.repeat(300)}`, '{}', { EX: 600 })
      const path = join(await tempDir(), 'odd')
      const run = await cli([
        'import',
        path,
        '--from-redis',
        url,
        '--from-prefix',
        prefix,
        '--json',
      ])
      expect(run.code).toBe(1)
      const report = json<FromRedisReport>(run.stdout)
      expect(report).toMatchObject({ keys: 5, imported: 1, rejected: 4 })
      const reasons = new Map(report.rejects.map((r) => [r.key, r.reason]))
      expect(reasons.get(`${prefix}hash`)).toMatch(/^not a session: WRONGTYPE/)
      expect(reasons.get(`${prefix}text`)).toMatch(/^not a JSON session/)
      expect(reasons.get(`${prefix}list`)).toBe('not a JSON object')
      expect(reasons.get(`${prefix}${'x'.repeat(300)}`)).toBe(
        'the key does not end in a session id',
      )
      expect(run.stderr).toMatch(
        /4 keys were rejected \(listed above\); every other key was imported/,
      )
      const store = createSessionStore<AnyData>({ path })
      try {
        expect((await store.get(good))!.data).toEqual({ cookie: {}, ok: true })
      } finally {
        await store.close()
      }
    })

    it('takes the lifetime from the key, then the cookie, then --max-age', async () => {
      const prefix = 'ttl:'
      const [shorter, bare] = [generateSessionId(), generateSessionId()]
      const cookie = { expires: new Date(Date.now() + HOUR).toISOString(), originalMaxAge: HOUR }
      // The key's TTL (ten minutes) wins over the cookie's hour.
      await client.set(`${prefix}${shorter}`, JSON.stringify({ cookie, n: 1 }), { PX: 600_000 })
      // No TTL and no cookie expiry: --max-age.
      await client.set(`${prefix}${bare}`, JSON.stringify({ cookie: {}, n: 2 }))
      const path = join(await tempDir(), 'ttl')
      const before = Date.now()
      const run = await cli([
        'import',
        path,
        '--from-redis',
        url,
        '--from-prefix',
        prefix,
        '--max-age',
        '5000',
      ])
      const after = Date.now()
      expect(run.code).toBe(0)
      const store = createSessionStore<AnyData>({ path })
      try {
        const a = (await store.get(shorter))!
        expect(a.expiresAt).toBeGreaterThan(before + 600_000 - 1_000)
        expect(a.expiresAt).toBeLessThanOrEqual(after + 600_000)
        const b = (await store.get(bare))!
        expect(b.expiresAt).toBeGreaterThanOrEqual(before + 5_000)
        expect(b.expiresAt).toBeLessThanOrEqual(after + 5_000)
      } finally {
        await store.close()
      }
    })

    it('matches the prefix literally, reads through a password, and hides it in the report', async () => {
      await client.sendCommand(['ACL', 'SETUSER', 'mover', 'on', '>s3cret', '~*', '+@all'])
      const withPassword = url.replace('redis://', 'redis://mover:s3cret@')
      const id = generateSessionId()
      await client.set(`app[1]:${id}`, JSON.stringify({ cookie: {}, n: 1 }), { EX: 600 })
      // What "app[1]:*" would match as a pattern rather than as text.
      await client.set(`app1:${generateSessionId()}`, JSON.stringify({ cookie: {} }), { EX: 600 })
      // A key that only looks like @levelsession/redis's layout is an ordinary session.
      await client.set('app[1]:{custom}7', JSON.stringify({ cookie: {}, n: 2 }), { EX: 600 })
      const path = join(await tempDir(), 'literal')
      const run = await cli([
        'import',
        path,
        '--from-redis',
        withPassword,
        '--from-prefix',
        'app[1]:',
        '--json',
      ])
      expect(run).toMatchObject({ code: 0, stderr: '' })
      expect(json<FromRedisReport>(run.stdout)).toMatchObject({
        from: url.replace('redis://', 'redis://mover:***@'),
        fromPrefix: 'app[1]:',
        keys: 2,
        ignored: 0,
        imported: 2,
      })
      expect(run.stdout).not.toContain('s3cret')
      const store = createSessionStore<AnyData>({ path })
      try {
        expect((await store.get(id))?.data).toEqual({ cookie: {}, n: 1 })
        expect((await store.get('{custom}7'))?.data).toEqual({ cookie: {}, n: 2 })
      } finally {
        await store.close()
      }
    })

    it('a lost connection to the old store ends the import with ERR_STORE_IO', async () => {
      const prefix = 'many:'
      for (let i = 0; i < 40_000; i += 1_000) {
        await Promise.all(
          Array.from({ length: 1_000 }, (_, j) =>
            client.set(
              `${prefix}${generateSessionId()}`,
              JSON.stringify({ cookie: {}, n: i + j }),
              { EX: 600 },
            ),
          ),
        )
      }
      const path = join(await tempDir(), 'lost')
      const running = cli(['import', path, '--from-redis', url, '--from-prefix', prefix])
      // Once the CLI is connected and reading, drop every connection but this one.
      const others = async () =>
        (await client.sendCommand<string>(['CLIENT', 'LIST'])).trim().split('\n').length - 1
      while ((await others()) === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 150))
      await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'])
      const run = await running
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(
        /Reading the old store at redis:\/\/127\.0\.0\.1:\d+ failed after \d+ keys: .*The sessions read until then were imported\./,
      )
      expect(run.stderr).toMatch(/run the import again/)
    })

    it('refuses wrong combinations before touching anything', async () => {
      const dir = await tempDir()
      const path = join(dir, 'never')
      const cases: [string[], RegExp][] = [
        [['import', path, 'file.jsonl', '--from-redis', url], /takes no input file/],
        [['import', path, 'file.jsonl', '--user-field', 'a'], /apply to --from-redis only/],
        [['import', path, 'file.jsonl', '--max-age', '5'], /apply to --from-redis only/],
        [['import', path, 'file.jsonl', '--from-prefix', 'sess:'], /apply to --from-redis only/],
        [
          ['import', path, '--from-redis', 'http://user:hidden@h:1'],
          /expects a redis:\/\/ or rediss:\/\/ URL, got "\*\*\*@h:1"/,
        ],
        [['import', path, '--from-redis', 'localhost:6379'], /--from-redis expects a redis:\/\//],
        [['import', path, '--from-redis', url, '--user-field', 'a..b'], /names separated by dots/],
        [['import', path, '--from-redis', url, '--max-age', '0'], /positive integer/],
        [
          ['import', '--redis', url, '--prefix', 'sess:new:', '--from-redis', url],
          /starts with --from-prefix sess:/,
        ],
      ]
      for (const [args, message] of cases) {
        const run = await cli(args)
        expect(run.code, args.join(' ')).toBe(2) // a usage error
        expect(run.stderr, args.join(' ')).toMatch(message)
      }
      // The same nesting into another database of the server is allowed.
      const elsewhere = await cli([
        'import',
        '--redis',
        `${url}/1`,
        '--prefix',
        'sess:new:',
        '--from-redis',
        url,
        '--json',
      ])
      expect(elsewhere).toMatchObject({ code: 0, stderr: '' })
      expect(json<FromRedisReport>(elsewhere.stdout)).toMatchObject({ keys: 302, imported: 302 })
      // An old store that cannot be reached: the new database is not created.
      const port = await freePort()
      const run = await cli(['import', path, '--from-redis', `redis://127.0.0.1:${port}`])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/Cannot connect to redis:\/\/127\.0\.0\.1/)
      expect(existsSync(path)).toBe(false)
    })
  })

  describe('import --from-redis --from-cluster', () => {
    let redis: Servers
    beforeAll(async () => {
      redis = await startCluster()
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('reads the old sessions from every master', async () => {
      const cluster = createCluster({ rootNodes: [{ url: redis.urls[0]! }] })
      cluster.on('error', () => undefined)
      await cluster.connect()
      const ids = Array.from({ length: 60 }, () => generateSessionId())
      try {
        for (const [i, id] of ids.entries()) {
          await cluster.set(`sess:${id}`, JSON.stringify({ cookie: {}, n: i }), { EX: 600 })
        }
        // Spread over the masters: the import has to scan each of them.
        const holding = await Promise.all(
          cluster.masters.map(async (m) => (await cluster.nodeClient(m)).dbSize()),
        )
        expect(holding.filter((n) => n > 0).length).toBeGreaterThan(1)
      } finally {
        await cluster.close()
      }
      const path = join(await tempDir(), 'from-cluster')
      const run = await cli([
        'import',
        path,
        '--from-redis',
        redis.urls[0]!,
        '--from-cluster',
        '--json',
      ])
      expect(run).toMatchObject({ code: 0, stderr: '' })
      expect(json<FromRedisReport>(run.stdout)).toMatchObject({ keys: 60, imported: 60 })
      const store = createSessionStore<AnyData>({ path })
      try {
        for (const [i, id] of ids.entries()) {
          expect((await store.get(id))?.data).toEqual({ cookie: {}, n: i })
        }
      } finally {
        await store.close()
      }
    })
  })
}
