import { existsSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

interface Stats {
  path: string
  sessions: number
  expired: number
  earliestExpiry: number | null
  latestExpiry: number | null
  users: number
  sizeBytes: number
  schemaVersion: number
}

describe('levelsession stats', () => {
  let db: string
  let before: number
  beforeAll(async () => {
    db = join(await tempDir(), 'db')
    before = Date.now()
    // 30 live sessions for ann, bob and no one; 7 expired two days ago and never pruned.
    await populate(db, { live: 30, expired: 7, users: ['ann', 'bob'] })
  })

  it('reports a known population as JSON', async () => {
    const run = await cli(['stats', db, '--json'])
    expect(run.code).toBe(0)
    const stats = json<Stats>(run.stdout)
    expect(stats).toMatchObject({ path: db, sessions: 30, expired: 7, users: 2, schemaVersion: 2 })
    // ttl of live-i is 1 h + i s.
    expect(stats.earliestExpiry).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(stats.latestExpiry! - stats.earliestExpiry!).toBeGreaterThanOrEqual(29_000)
    expect(stats.latestExpiry).toBeLessThan(Date.now() + 3_600_000 + 30_000)
    expect(stats.sizeBytes).toBeGreaterThan(0)
  })

  it('prints a table for people, and stats does not prune', async () => {
    const run = await cli(['stats', db])
    expect(run.code).toBe(0)
    for (const label of [
      'Sessions',
      'Expired',
      'Earliest expiry',
      'Latest expiry',
      'Users indexed',
      'Size on disk',
      'Schema version',
    ]) {
      expect(run.stdout).toContain(label)
    }
    expect(run.stdout).toMatch(/Sessions\s+30\n/)
    expect(run.stdout).toMatch(/Expired\s+7 \(not yet pruned/)
    expect(json<Stats>((await cli(['stats', db, '--json'])).stdout).expired).toBe(7)
  })

  it('fails on a path that does not exist, and does not create it', async () => {
    const missing = join(await tempDir(), 'nope')
    const run = await cli(['stats', missing])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`No session database at ${missing}: it does not exist`)
    expect(run.stderr).toContain('levelsession setup')
    expect(existsSync(missing)).toBe(false)
  })

  it('fails on an empty directory, and leaves it empty', async () => {
    const empty = join(await tempDir(), 'empty')
    await mkdir(empty)
    const run = await cli(['stats', empty, '--json'])
    expect(run.code).toBe(1)
    expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_DATABASE_MISSING')
    expect(await readdir(empty)).toEqual([])
  })
})
