import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

describe('levelsession destroy', () => {
  let db: string
  beforeAll(async () => {
    db = join(await tempDir(), 'db')
    await populate(db, { live: 3 })
  })

  it('removes one session; a second destroy is reported, not an error', async () => {
    const first = await cli(['destroy', db, 'live-00001', '--json'])
    expect(first.code).toBe(0)
    expect(json(first.stdout)).toEqual({ id: 'live-00001', destroyed: true })
    expect((await cli(['show', db, 'live-00001'])).code).toBe(1)
    expect((await cli(['show', db, 'live-00002'])).code).toBe(0)
    const again = await cli(['destroy', db, 'live-00001'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('No session live-00001; nothing to destroy.')
  })

  it('fails on a missing database and is wrong usage without an id', async () => {
    expect((await cli(['destroy', join(db, 'missing'), 'x'])).code).toBe(1)
    expect((await cli(['destroy', db])).code).toBe(2)
  })
})
