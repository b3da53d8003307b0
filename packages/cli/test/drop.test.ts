import { existsSync } from 'node:fs'
import { readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, cliOnTerminal, HAS_SCRIPT, holdDatabase, json, populate, tempDir } from './helpers.js'

describe('levelsession drop', () => {
  it('deletes a levelsession database with --yes, and needs it without a terminal', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 3 })
    const refused = await cli(['drop', db])
    expect(refused.code).toBe(2)
    expect(existsSync(join(db, 'CURRENT'))).toBe(true)
    const run = await cli(['drop', db, '--yes', '--json'])
    expect(run.code).toBe(0)
    expect(json(run.stdout)).toEqual({ path: db, dropped: true, sessions: 3 })
    expect(existsSync(db)).toBe(false)
    expect((await cli(['drop', db, '--yes'])).code).toBe(1)
  })

  it('refuses a directory that is not a session database, and leaves it alone', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'thesis.tex'), 'precious')
    const run = await cli(['drop', dir, '--yes'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Refusing to use')
    expect(await readdir(dir)).toEqual(['thesis.tex'])
  })

  it('refuses a database with other files in it, and a symbolic link to one', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    await populate(db, { live: 2 })
    await writeFile(join(db, 'notes.txt'), 'important')
    const run = await cli(['drop', db, '--yes', '--json'])
    expect(run.code).toBe(1)
    expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_STORE_UNRECOGNISED')
    expect(run.stderr).toContain('notes.txt')
    expect(existsSync(join(db, 'notes.txt'))).toBe(true)
    expect(existsSync(join(db, 'CURRENT'))).toBe(true)

    await rm(join(db, 'notes.txt'))
    await symlink(db, join(dir, 'link'))
    const linked = await cli(['drop', join(dir, 'link'), '--yes'])
    expect(linked.code).toBe(2)
    expect(linked.stderr).toContain('is a symbolic link')
    expect(linked.stderr).toContain(`levelsession drop ${db}`)
    expect(existsSync(join(db, 'CURRENT'))).toBe(true)
  })

  it('refuses a database in use', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 1 })
    const holder = await holdDatabase(db)
    try {
      const run = await cli(['drop', db, '--yes'])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`pid ${holder.pid}`)
      expect(existsSync(join(db, 'CURRENT'))).toBe(true)
    } finally {
      await holder.stop()
    }
  })

  it.skipIf(!HAS_SCRIPT)('asks on a terminal', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 2 })
    const no = await cliOnTerminal(['drop', db], 'n\n')
    expect(no.code).toBe(1)
    expect(no.stdout).toContain(`Delete the session database ${db} (2 live sessions)? [y/N]`)
    expect(existsSync(db)).toBe(true)
    const yes = await cliOnTerminal(['drop', db], 'y\n')
    expect(yes.code).toBe(0)
    expect(existsSync(db)).toBe(false)
  })
})
