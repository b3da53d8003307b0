import { join } from 'node:path'
import { createSessionStore } from '@levelsession/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, json, populate, tempDir } from './helpers.js'

interface Row {
  id: string
  userId: string | null
  createdAt: number
  expiresAt: number
}

describe('levelsession list', () => {
  let db: string
  beforeAll(async () => {
    db = join(await tempDir(), 'db')
    await populate(db, { live: 12, expired: 3, users: ['ann', 'bob'] })
  })

  it('lists live sessions in id order as a JSON array, without expired ones', async () => {
    const run = await cli(['list', db, '--json'])
    expect(run.code).toBe(0)
    const rows = json<Row[]>(run.stdout)
    expect(rows.map((r) => r.id)).toEqual(
      Array.from({ length: 12 }, (_, i) => `live-${String(i).padStart(5, '0')}`),
    )
    expect(rows[0]).toMatchObject({ userId: 'ann' })
    expect(rows[2]).toMatchObject({ userId: null })
  })

  it("--user lists one user's sessions, --limit caps the count", async () => {
    const ann = json<Row[]>((await cli(['list', db, '--user', 'ann', '--json'])).stdout)
    expect(ann.map((r) => r.id)).toEqual(['live-00000', 'live-00003', 'live-00006', 'live-00009'])
    const two = json<Row[]>((await cli(['list', db, '--limit', '2', '--json'])).stdout)
    expect(two).toHaveLength(2)
    const none = json<Row[]>((await cli(['list', db, '--user', 'nobody', '--json'])).stdout)
    expect(none).toEqual([])
  })

  it('prints a table for people', async () => {
    const run = await cli(['list', db, '-n', '3'])
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^id\s+user\s+created\s+expires$/)
    expect(lines[1]).toMatch(/^live-00000\s+ann\s+\d{4}-/)
    expect(lines.at(-1)).toBe('(3 sessions, limit reached)')
  })

  it('shows control characters in ids and user ids as escapes, never raw', async () => {
    const path = join(await tempDir(), 'controls')
    const store = createSessionStore<{ user: string }>({
      path,
      cleanupInterval: 0,
      userId: (d) => d.user,
    })
    await store.set('id\rhidden', { user: 'eve\u001b[2K\u001b]0;title\u0007\u009b2J\u007f' })
    await store.set('fake\\u000d', { user: 'rtl\u202eevil' })
    await store.close()
    const run = await cli(['list', path])
    expect(run.code).toBe(0)
    // eslint-disable-next-line no-control-regex -- none may reach the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
    expect(run.stdout).toContain('id\\u000dhidden')
    expect(run.stdout).toContain('eve\\u001b[2K\\u001b]0;title\\u0007\\u009b2J\\u007f')
    // A literal backslash cannot pass for an escape; bidi overrides are escaped too.
    expect(run.stdout).toContain('fake\\\\u000d')
    expect(run.stdout).toContain('rtl\\u202eevil')
  })

  it('rejects a bad --limit as wrong usage', async () => {
    for (const limit of ['0', '-1', 'x', '1.5']) {
      const run = await cli(['list', db, '--limit', limit])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('expected a positive integer')
    }
  })
})
