import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

describe('levelsession compact', () => {
  it('compacts and reports the size before and after', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 2000 })
    expect((await cli(['clear', db, '--yes'])).code).toBe(0)
    const run = await cli(['compact', db, '--json'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const result = json<{ path: string; sizeBefore: number; sizeAfter: number }>(run.stdout)
    expect(result.path).toBe(db)
    expect(result.sizeBefore).toBeGreaterThan(0)
    expect(result.sizeAfter).toBeGreaterThan(0)
    const human = await cli(['compact', db])
    expect(human.stdout).toMatch(/^Compacted .+ -> .+ in /)
    expect(json((await cli(['stats', db, '--json'])).stdout)).toMatchObject({ sessions: 0 })
  })

  it('fails on a missing database, wrong usage on an extra argument', async () => {
    const dir = await tempDir()
    expect((await cli(['compact', join(dir, 'nope')])).code).toBe(1)
    expect((await cli(['compact', dir, 'extra'])).code).toBe(2)
  })
})
