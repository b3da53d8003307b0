import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, cliOnTerminal, HAS_SCRIPT, json, populate, tempDir } from './helpers.js'

const count = async (db: string) =>
  json<{ sessions: number }>((await cli(['stats', db, '--json'])).stdout).sessions

describe('levelsession clear', () => {
  it('needs --yes without a terminal (wrong usage, nothing removed), then clears', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 5 })
    const refused = await cli(['clear', db])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('pass --yes')
    expect(await count(db)).toBe(5)
    const run = await cli(['clear', db, '--yes', '--json'])
    expect(run.code).toBe(0)
    expect(json(run.stdout)).toEqual({ path: db, cleared: 5 })
    expect(await count(db)).toBe(0)
  })

  it.skipIf(!HAS_SCRIPT)('asks on a terminal: "no" changes nothing, "yes" clears', async () => {
    const db = join(await tempDir(), 'db')
    await populate(db, { live: 4 })
    const no = await cliOnTerminal(['clear', db], 'no\n')
    expect(no.code).toBe(1)
    expect(no.stdout).toContain(`Remove all 4 live sessions in ${db}? [y/N]`)
    expect(no.stdout).toContain('Cancelled; nothing was changed.')
    expect(await count(db)).toBe(4)
    const yes = await cliOnTerminal(['clear', db], 'yes\n')
    expect(yes.code).toBe(0)
    expect(yes.stdout).toContain(`Removed all sessions (4 live) from ${db}.`)
    expect(await count(db)).toBe(0)
  })

  it('fails on a missing database', async () => {
    expect((await cli(['clear', join(await tempDir(), 'nope'), '--yes'])).code).toBe(1)
  })
})
