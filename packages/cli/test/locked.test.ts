import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, holdDatabase, json, populate, tempDir } from './helpers.js'

describe('a database held open by a running app', () => {
  let dir: string
  let db: string
  let holder: { pid: number; stop: () => Promise<void> }
  beforeAll(async () => {
    dir = await tempDir()
    db = join(dir, 'db')
    await populate(db, { live: 3 })
    holder = await holdDatabase(db)
  })
  afterAll(async () => {
    await holder.stop()
  })

  const commands: [string, string[]][] = [
    ['setup', []],
    ['stats', []],
    ['list', []],
    ['show', ['live-00000']],
    ['destroy', ['live-00000']],
    ['revoke', ['--user', 'ann']],
    ['prune', []],
    ['compact', []],
    ['export', []],
    ['clear', ['--yes']],
    ['drop', ['--yes']],
    ['repair', []],
  ]

  it.each(commands)(
    '%s names the path, the pid and what to do, and exits 1',
    async (name, rest) => {
      const run = await cli([name, db, ...rest])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(
        `The session database at ${db} is in use by another process (pid ${holder.pid})`,
      )
      expect(run.stderr).toContain(
        `hint: Stop the process that holds it (pid ${holder.pid}) and run this command again`,
      )
    },
  )

  it('import too, and --json gives the code, path and pid', async () => {
    const run = await cli(['import', db, '-', '--json'], { input: '' })
    expect(run.code).toBe(1)
    expect(json<{ error: Record<string, unknown> }>(run.stderr).error).toMatchObject({
      code: 'ERR_STORE_LOCKED',
      path: db,
      pid: holder.pid,
    })
    expect(run.stdout).toBe('')
  })

  it('nothing was changed meanwhile', async () => {
    expect(await readdir(dir)).toEqual(['db'])
    await holder.stop()
    expect(json((await cli(['stats', db, '--json'])).stdout)).toMatchObject({ sessions: 3 })
  })
})
