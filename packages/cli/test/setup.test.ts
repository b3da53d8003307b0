import { existsSync } from 'node:fs'
import { readdir, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, json, tempDir } from './helpers.js'

describe('levelsession setup', () => {
  it('creates the database, then says it is already there (idempotent)', async () => {
    const dir = join(await tempDir(), 'nested', 'sessions')
    const first = await cli(['setup', dir])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toContain(`Created a session database at ${dir}`)
    expect(existsSync(join(dir, 'CURRENT'))).toBe(true)
    const second = await cli(['setup', dir])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('already set up')
    expect(second.stdout).toContain('nothing changed')
    const third = await cli(['setup', dir, '--json'])
    expect(third.code).toBe(0)
    expect(json(third.stdout)).toEqual({ path: dir, created: false, schemaVersion: 2 })
  })

  it('reports created: true in JSON on the first run', async () => {
    const dir = join(await tempDir(), 'db')
    const run = await cli(['setup', dir, '--json'])
    expect(run.code).toBe(0)
    expect(json(run.stdout)).toEqual({ path: dir, created: true, schemaVersion: 2 })
  })

  it('refuses a directory that holds something else, and leaves it alone', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'notes.txt'), 'mine')
    const run = await cli(['setup', dir])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Refusing to use')
    expect(run.stderr).toContain('notes.txt')
    expect(await readdir(dir)).toEqual(['notes.txt'])
    const asJson = await cli(['setup', dir, '--json'])
    expect(asJson.code).toBe(1)
    expect(json<{ error: { code: string } }>(asJson.stderr).error.code).toBe(
      'ERR_STORE_UNRECOGNISED',
    )
  })

  it('sets up an empty directory', async () => {
    const dir = join(await tempDir(), 'empty')
    await mkdir(dir)
    const run = await cli(['setup', dir])
    expect(run.code).toBe(0)
    expect(existsSync(join(dir, 'CURRENT'))).toBe(true)
  })

  it('is wrong usage without a path', async () => {
    const run = await cli(['setup'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("missing required argument 'path'")
  })
})
