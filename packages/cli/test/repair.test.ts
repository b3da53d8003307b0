import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { describe, expect, it } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { cli, holdDatabase, json, populate, tempDir } from './helpers.js'

/** What the backend's own check finds wrong with the indexes of the database at `path`. */
async function problemsOf(path: string): Promise<string[]> {
  const store = createSessionStore({ path, cleanupInterval: 0 })
  try {
    await store.ready()
    return await store.backend.verify!()
  } finally {
    await store.close()
  }
}

describe('levelsession repair', () => {
  it('a damaged database points to repair; repair copies it aside, then repairs it', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 40 })
    await rm(join(db, 'CURRENT'))
    const before = (await readdir(db)).sort()

    const damaged = await cli(['stats', db])
    expect(damaged.code).toBe(1)
    expect(damaged.stderr).toContain(`The session database at ${db} is damaged`)
    expect(damaged.stderr).toContain(`levelsession repair ${db}`)
    expect((await readdir(db)).sort()).toEqual(before)
    const damagedJson = await cli(['stats', db, '--json'])
    expect(json<{ error: { code: string } }>(damagedJson.stderr).error.code).toBe(
      'ERR_STORE_CORRUPT',
    )

    const run = await cli(['repair', db, '--json'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const result = json<{ path: string; backup: string; sessions: number }>(run.stdout)
    expect(result).toMatchObject({ path: db, sessions: 40 })
    expect(dirname(result.backup)).toBe(dirname(db))
    expect(basename(result.backup)).toMatch(/^db\.backup-\d{4}-\d\d-\d\dT[\d-]+Z$/)
    expect((await readdir(result.backup)).sort()).toEqual(before)
    expect(json((await cli(['stats', db, '--json'])).stdout)).toMatchObject({ sessions: 40 })
    expect(json((await cli(['show', db, 'live-00039', '--json'])).stdout)).toMatchObject({
      data: { i: 39 },
    })
    // The indexes were rebuilt from the sessions: they are exact, and trusted again.
    const raw = new ClassicLevel<string, string>(db)
    expect(await raw.sublevel<string, string>('m', {}).get('index-untrusted')).toBeUndefined()
    await raw.close()
    expect(await problemsOf(db)).toEqual([])
  })

  it('after a repair that lost sessions, counts come from the sessions it kept', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 30, users: ['ann'] })
    // What LevelDB's repair can leave: index entries whose sessions are gone, a session without
    // index entries, and a record nothing can read.
    const raw = new ClassicLevel<string, Buffer>(db, { valueEncoding: 'buffer' })
    const sessions = raw.sublevel<string, Buffer>('s', { valueEncoding: 'buffer' })
    const expiry = raw.sublevel<string, string>('x', {})
    for (let i = 0; i < 5; i++) await sessions.del(`live-0000${i}`)
    const orphan = (await expiry.keys().all()).find((key) => key.endsWith('live-00029'))!
    await expiry.del(orphan)
    await sessions.put('garbage', Buffer.from([9, 9, 9]))
    await raw.close()

    const run = await cli(['repair', db, '--json'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(json(run.stdout)).toMatchObject({ sessions: 25, expired: 0, unreadable: 1 })
    expect(json((await cli(['stats', db, '--json'])).stdout)).toMatchObject({ sessions: 25 })
    expect(await problemsOf(db)).toEqual([])
  })

  it('a failed copy leaves no partial backup and repairs nothing', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    await populate(db, { live: 2 })
    // A FIFO under a LevelDB file name: the copy fails partway, as on a full disk.
    execFileSync('mkfifo', [join(db, '000999.log')])
    const before = (await readdir(db)).sort()
    const run = await cli(['repair', db, '--json'])
    expect(run.code).toBe(1)
    expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_BACKUP')
    expect(await readdir(dir)).toEqual(['db'])
    expect((await readdir(db)).sort()).toEqual(before)
  })

  it("the backup is its owner's alone, whatever the mode of the database directory", async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    await populate(db, { live: 2 })
    // fs.cp creates its copy with the default mode (0755 here) and gives it the source's mode
    // at the end; the backup must never be readable by others.
    await chmod(db, 0o755)
    const run = await cli(['repair', db, '--json'])
    expect(run.code).toBe(0)
    const { backup } = json<{ backup: string }>(run.stdout)
    expect((await stat(backup)).mode & 0o777).toBe(0o700)
  })

  it('refuses a database in use, leaving no backup behind', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    await populate(db, { live: 2 })
    const holder = await holdDatabase(db)
    try {
      const run = await cli(['repair', db])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`in use by another process (pid ${holder.pid})`)
      expect(await readdir(dir)).toEqual(['db'])
    } finally {
      await holder.stop()
    }
  })

  it('fails on a path that does not exist, without creating it', async () => {
    const missing = join(await tempDir(), 'nope')
    const run = await cli(['repair', missing])
    expect(run.code).toBe(1)
    expect(existsSync(missing)).toBe(false)
  })

  it('repairs a database again after an earlier repair left its lost/ directory', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 3 })
    expect((await cli(['repair', db])).code).toBe(0)
    expect(await readdir(db)).toContain('lost')
    const again = await cli(['repair', db, '--json'])
    expect(again).toMatchObject({ code: 0, stderr: '' })
    expect(json(again.stdout)).toMatchObject({ sessions: 3 })
  })

  it('refuses a directory that is not a LevelDB database, or a file, touching nothing', async () => {
    const dir = await tempDir()
    const other = join(dir, 'notes')
    await mkdir(other)
    await writeFile(join(other, 'notes.txt'), 'important')
    const run = await cli(['repair', other, '--json'])
    expect(run.code).toBe(1)
    expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_STORE_UNRECOGNISED')
    expect(await readdir(other)).toEqual(['notes.txt'])
    // A LevelDB directory with a stray file of someone else's is refused too.
    const db = join(dir, 'db')
    await populate(db, { live: 1 })
    await writeFile(join(db, 'readme.txt'), 'x')
    expect((await cli(['repair', db])).stderr).toContain('other files: readme.txt')
    const file = join(dir, 'file')
    await writeFile(file, 'x')
    const onFile = await cli(['repair', file])
    expect(onFile.code).toBe(1)
    expect(onFile.stderr).toContain('a file, not a directory')
    expect((await readdir(dir)).sort()).toEqual(['db', 'file', 'notes'])
  })
})
