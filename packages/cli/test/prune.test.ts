import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, cliOnTerminal, HAS_SCRIPT, json, populate, tempDir } from './helpers.js'

describe('levelsession prune', () => {
  it('removes the expired sessions and keeps the live ones; quiet in a pipe', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 20, expired: 600 })
    const run = await cli(['prune', db, '--json'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(json(run.stdout)).toMatchObject({ path: db, deleted: 600, scanned: 600 })
    expect(json((await cli(['stats', db, '--json'])).stdout)).toMatchObject({
      sessions: 20,
      expired: 0,
    })
    const human = await cli(['prune', db])
    expect(human).toMatchObject({ code: 0, stderr: '' })
    expect(human.stdout).toMatch(/^Pruned 0 expired sessions/)
  })

  it.skipIf(!HAS_SCRIPT)('draws a progress bar on a terminal, and none with --json', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 1, expired: 3000 })
    const run = await cliOnTerminal(['prune', db])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Pruning [')
    expect(run.stdout).toContain('/3000 sessions')
    expect(run.stdout).toContain('Pruned 3000 expired sessions')
    await populate(db, { live: 1, expired: 300 })
    const quiet = await cliOnTerminal(['prune', db, '--json'])
    expect(quiet.code).toBe(0)
    expect(quiet.stdout).not.toContain('Pruning [')
    expect(json(quiet.stdout.trim())).toMatchObject({ deleted: 300 })
  })

  it('fails on a missing database', async () => {
    expect((await cli(['prune', join(await tempDir(), 'nope')])).code).toBe(1)
  })
})
