/**
 * `export --redis` and `import --redis`: sessions move from a LevelDB directory to Redis (a
 * standalone server and a cluster) and back through the backup format, keeping ids, data,
 * times and user ids; the CLI's Redis client is closed when the command ends (the process
 * exits by itself).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'
import {
  freePort,
  hasRedisServer,
  missingRedisServer,
  type Servers,
  SKIP_MESSAGE,
  startCluster,
  startStandalone,
} from './redis-server.js'

/** The lines of an export, sorted: Redis exports in bucket order, LevelDB in id order. */
const sortedLines = async (file: string) =>
  (await readFile(file, 'utf8')).trimEnd().split('\n').sort()

if (!hasRedisServer) {
  missingRedisServer(it, SKIP_MESSAGE)
} else {
  describe('export and import with --redis (standalone server)', () => {
    let redis: Servers
    let url: string
    let dir: string
    let source: string
    let backup: string
    beforeAll(async () => {
      redis = await startStandalone()
      url = redis.urls[0]!
      dir = await tempDir()
      source = join(dir, 'source')
      await populate(source, { live: 500, expired: 20, users: ['ann', 'bob', 'cy'] })
      backup = join(dir, 'level.jsonl')
      expect((await cli(['export', source, backup])).code).toBe(0)
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('LevelDB -> Redis -> LevelDB keeps every session: ids, data, times, user ids', async () => {
      const imported = await cli(['import', '--redis', url, backup, '--json'])
      expect(imported).toMatchObject({ code: 0, stderr: '' })
      expect(json(imported.stdout)).toMatchObject({
        redis: url,
        prefix: 'sess:',
        created: true,
        lines: 500,
        imported: 500,
        skipped: 0,
        rejected: 0,
      })

      const fromRedis = join(dir, 'redis.jsonl')
      const exported = await cli(['export', '--redis', url, fromRedis, '--json'])
      expect(exported).toMatchObject({ code: 0, stderr: '' })
      expect(json(exported.stdout)).toEqual({
        redis: url,
        prefix: 'sess:',
        file: fromRedis,
        exported: 500,
        undecodable: 0,
      })
      const [original, viaRedis] = await Promise.all([sortedLines(backup), sortedLines(fromRedis)])
      expect(viaRedis).toEqual(original)
      expect(viaRedis.filter((l) => l.includes('"userId":"cy"')).length).toBeGreaterThan(0)

      // And back into a new LevelDB directory: its export is the original file, byte for byte.
      const target = join(dir, 'back')
      expect((await cli(['import', target, fromRedis])).code).toBe(0)
      const roundTrip = join(dir, 'back.jsonl')
      expect((await cli(['export', target, roundTrip])).code).toBe(0)
      expect(await readFile(roundTrip, 'utf8')).toBe(await readFile(backup, 'utf8'))
      const stats = json((await cli(['stats', target, '--json'])).stdout)
      expect(stats).toMatchObject({ sessions: 500, expired: 0, users: 3 })
    })

    it('pipes: export a directory to standard output, import --redis from standard input', async () => {
      const exported = await cli(['export', source])
      const piped = await cli(['import', '--redis', url, '--prefix', 'piped:', '-'], {
        input: exported.stdout,
      })
      expect(piped.code).toBe(0)
      expect(piped.stdout).toMatch(
        new RegExp(`^Imported 500 sessions into ${url} prefix piped: from standard input in `),
      )
      // env:NAME: the URL (and any password in it) stays out of the process list.
      const back = await cli(['export', '--redis', 'env:SESSIONS_REDIS', '--prefix', 'piped:'], {
        env: { SESSIONS_REDIS: url },
      })
      expect(back.code).toBe(0)
      expect(back.stdout.trimEnd().split('\n').sort()).toEqual(await sortedLines(backup))
      expect(back.stderr).toBe(`Exported 500 sessions from ${url} prefix piped:.\n`)
    })

    it('export from a prefix that holds nothing fails and writes nothing to Redis', async () => {
      const run = await cli(['export', '--redis', url, '--prefix', 'nothing:', '--json'])
      expect(run.code).toBe(1)
      expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_DATABASE_MISSING')
      // Importing afterwards still finds the prefix new.
      const file = join(dir, 'one.jsonl')
      const now = Date.now()
      const line = { id: 'x', data: {}, createdAt: now, expiresAt: now + 60_000 }
      await writeFile(file, JSON.stringify(line) + '\n')
      const imported = await cli(['import', '--redis', url, '--prefix', 'nothing:', file, '--json'])
      expect(json(imported.stdout)).toMatchObject({ created: true, imported: 1 })
    })

    it('keeps the buckets of an existing prefix and refuses a different --buckets', async () => {
      const file = join(dir, 'b.jsonl')
      expect((await cli(['export', source, file])).code).toBe(0)
      const first = await cli(['import', '--redis', url, '--prefix', 'b4:', '--buckets', '4', file])
      expect(first.code).toBe(0)
      const again = await cli(['import', '--redis', url, '--prefix', 'b4:', file, '--json'])
      expect(json(again.stdout)).toMatchObject({ created: false, imported: 500 })
      const wrong = await cli(['import', '--redis', url, '--prefix', 'b4:', '--buckets', '8', file])
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain('already uses 4 buckets')
    })

    it('hides the password of the URL in its output', async () => {
      const run = await cli(['export', '--redis', url.replace('//', '//:secret@'), '--json'])
      // The server has no password: Redis refuses AUTH, and the error does not show it either.
      expect(run.code).toBe(1)
      expect(run.stderr).not.toContain('secret')
      expect(run.stderr).toContain(':***@')
    })
  })

  describe('--redis failures and usage', () => {
    it('an unreachable Redis fails at once with ERR_REDIS_CONNECT', async () => {
      const port = await freePort()
      const run = await cli(['export', '--redis', `redis://127.0.0.1:${port}`, '--json'])
      expect(run.code).toBe(1)
      expect(json<{ error: { code: string; hint: string } }>(run.stderr).error).toMatchObject({
        code: 'ERR_REDIS_CONNECT',
        hint: expect.stringContaining('Redis is running') as string,
      })
      expect(run.stdout).toBe('')
    })

    it.each([
      [['export', '--redis', 'redis://127.0.0.1:1', 'a.jsonl', 'b.jsonl'], 'one file argument'],
      [['import', '--redis', 'redis://127.0.0.1:1'], 'needs an input file'],
      [['export', '--redis', 'http://example.com'], 'redis:// or rediss://'],
      [['export', '--redis', 'redis://127.0.0.1:1', '--prefix', 'a{b}'], 'must not contain'],
      [['export', './db', '--prefix', 'x:'], 'apply to --redis only'],
      [['import', './db', 'in.jsonl', '--cluster'], 'apply to --redis only'],
      [['export'], 'needs a database directory, or --redis'],
    ])('%j is a usage error (exit 2)', async (args, message) => {
      const run = await cli(args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(message)
    })
  })

  describe('export and import with --redis --cluster (three masters)', () => {
    let redis: Servers
    beforeAll(async () => {
      redis = await startCluster()
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('moves the sessions into a cluster and back', async () => {
      const dir = await tempDir()
      const source = join(dir, 'source')
      await populate(source, { live: 200, users: ['ann', 'bob'] })
      const backup = join(dir, 'level.jsonl')
      expect((await cli(['export', source, backup])).code).toBe(0)

      const url = redis.urls[1]! // any node will do
      const imported = await cli(['import', '--redis', url, '--cluster', backup, '--json'])
      expect(imported).toMatchObject({ code: 0, stderr: '' })
      expect(json(imported.stdout)).toMatchObject({ imported: 200, rejected: 0 })

      const fromCluster = join(dir, 'cluster.jsonl')
      const exported = await cli(['export', '--redis', url, '--cluster', fromCluster])
      expect(exported.code).toBe(0)
      expect(await sortedLines(fromCluster)).toEqual(await sortedLines(backup))
    })
  })
}
