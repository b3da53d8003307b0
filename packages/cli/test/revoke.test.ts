import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

describe('levelsession revoke', () => {
  let db: string
  beforeAll(async () => {
    db = join(await tempDir(), 'db')
    // ann owns live-00000, 03, 06, 09; bob owns 01, 04, 07, 10.
    await populate(db, { live: 12, users: ['ann', 'bob'] })
  })

  it("removes a user's sessions except those kept", async () => {
    const run = await cli([
      'revoke',
      db,
      '--user',
      'ann',
      '--except',
      'live-00003',
      '--except',
      'live-00006',
      '--json',
    ])
    expect(run.code).toBe(0)
    expect(json(run.stdout)).toEqual({
      userId: 'ann',
      revoked: 2,
      except: ['live-00003', 'live-00006'],
    })
    const left = json<{ id: string }[]>((await cli(['list', db, '--user', 'ann', '--json'])).stdout)
    expect(left.map((r) => r.id)).toEqual(['live-00003', 'live-00006'])
    const human = await cli(['revoke', db, '-u', 'bob'])
    expect(human.stdout).toBe('Revoked 4 sessions of user bob.\n')
    expect(json<unknown[]>((await cli(['list', db, '--user', 'bob', '--json'])).stdout)).toEqual([])
  })

  it('is wrong usage without --user', async () => {
    const run = await cli(['revoke', db])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("required option '-u, --user <id>' not specified")
  })
})
