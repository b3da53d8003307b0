import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

describe('levelsession show', () => {
  let db: string
  beforeAll(async () => {
    db = join(await tempDir(), 'db')
    await populate(db, { live: 3, expired: 1 })
  })

  it('prints one session with its data', async () => {
    const run = await cli(['show', db, 'live-00001', '--json'])
    expect(run.code).toBe(0)
    expect(json(run.stdout)).toMatchObject({
      id: 'live-00001',
      data: { i: 1, user: 'bob', note: 'n1' },
      userId: 'bob',
    })
    const human = await cli(['show', db, 'live-00001'])
    expect(human.stdout).toMatch(/Id\s+live-00001/)
    expect(human.stdout).toContain('"note": "n1"')
  })

  it('fails (exit 1) for an unknown or expired id', async () => {
    for (const id of ['nope', 'expired-00000']) {
      const run = await cli(['show', db, id])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`No live session with id "${id}"`)
    }
    const asJson = await cli(['show', db, 'nope', '--json'])
    expect(json<{ error: { code: string; id: string } }>(asJson.stderr).error).toMatchObject({
      code: 'ERR_NOT_FOUND',
      id: 'nope',
    })
  })

  it('is wrong usage without an id', async () => {
    expect((await cli(['show', db])).code).toBe(2)
  })
})
