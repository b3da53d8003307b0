import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, cli, json, PACKAGE_DIR, populate, tempDir } from './helpers.js'

interface ImportResult {
  path: string
  created: boolean
  lines: number
  imported: number
  skipped: number
  rejected: number
  rejects: { line: number; reason: string }[]
}

describe('levelsession import', () => {
  it('export then import of 10,000 sessions round-trips exactly', async () => {
    const dir = await tempDir()
    const source = join(dir, 'source')
    await populate(source, { live: 10_000, expired: 50, users: ['ann', 'bob', 'cy'] })
    const first = join(dir, 'first.jsonl')
    expect((await cli(['export', source, first])).code).toBe(0)

    const target = join(dir, 'target')
    const run = await cli(['import', target, first, '--json'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(json<ImportResult>(run.stdout)).toMatchObject({
      path: target,
      created: true,
      lines: 10_000,
      imported: 10_000,
      skipped: 0,
      rejected: 0,
      rejects: [],
    })

    const second = join(dir, 'second.jsonl')
    expect((await cli(['export', target, second])).code).toBe(0)
    const [a, b] = await Promise.all([readFile(first, 'utf8'), readFile(second, 'utf8')])
    expect(a.split('\n')).toHaveLength(10_001)
    expect(b).toBe(a)
    const stats = (db: string) => cli(['stats', db, '--json']).then((r) => json(r.stdout))
    const [s1, s2] = await Promise.all([stats(source), stats(target)])
    expect(s2).toMatchObject({ sessions: 10_000, expired: 0, users: 3 })
    expect(s2.earliestExpiry).toBe(s1.earliestExpiry)
    expect(s2.latestExpiry).toBe(s1.latestExpiry)
  })

  it('reports malformed and expired lines with their numbers and imports the rest', async () => {
    const dir = await tempDir()
    const now = Date.now()
    const live = { createdAt: now, expiresAt: now + 3_600_000 }
    const lines = [
      JSON.stringify({ id: 'ok-1', data: { a: 1 }, ...live }), // 1
      'not json', // 2
      JSON.stringify({ id: 'old', data: {}, createdAt: 1, expiresAt: now - 1000 }), // 3 expired
      JSON.stringify({ id: '', data: {}, ...live }), // 4
      '[1, 2]', // 5
      '', // 6 blank: ignored
      JSON.stringify({ id: 'ok-2', data: { b: 2 }, ...live, userId: 'ann' }), // 7
      JSON.stringify({ id: 'no-data', ...live }), // 8
      JSON.stringify({ id: 'huge', data: { pad: 'x'.repeat(1_100_000) }, ...live }), // 9
      JSON.stringify({ id: 'backwards', data: {}, createdAt: now + 5, expiresAt: now }), // 10
      JSON.stringify({ id: 'ok-3', data: null, ...live }), // 11
      JSON.stringify({ id: 'bad-user', data: {}, ...live, userId: 'a\u0000b' }), // 12
      JSON.stringify({ id: 'far', data: {}, createdAt: 9e15, expiresAt: 9e15 }), // 13
      'sk_live_secret', // 14: a reason never quotes the line
    ]
    const file = join(dir, 'mixed.jsonl')
    await writeFile(file, `${lines.join('\n')}\n`)
    const db = join(dir, 'db')

    const run = await cli(['import', db, file, '--json'])
    expect(run.code).toBe(1)
    const result = json<ImportResult>(run.stdout)
    expect(result).toMatchObject({ lines: 14, imported: 3, skipped: 1, rejected: 9 })
    expect(result.rejects.map((r) => r.line)).toEqual([2, 4, 5, 8, 9, 10, 12, 13, 14])
    expect(result.rejects[0]!.reason).toMatch(/not valid JSON/)
    expect(result.rejects.find((r) => r.line === 13)!.reason).toMatch(/createdAt/)
    expect(result.rejects.find((r) => r.line === 14)!.reason).toBe('not valid JSON')
    expect(result.rejects.find((r) => r.line === 9)!.reason).toMatch(/maxSessionBytes/)
    expect(json<{ error: { code: string } }>(run.stderr).error.code).toBe('ERR_IMPORT_REJECTED')

    const ids = json<{ id: string }[]>((await cli(['list', db, '--json'])).stdout).map((r) => r.id)
    expect(ids).toEqual(['ok-1', 'ok-2', 'ok-3'])
    expect(json((await cli(['show', db, 'ok-2', '--json'])).stdout)).toMatchObject({
      data: { b: 2 },
      userId: 'ann',
      ...live,
    })

    // The same for people: counts, then one line per reject.
    const human = await cli(['import', db, file])
    expect(human.code).toBe(1)
    expect(human.stdout).toContain('Imported 3 sessions')
    expect(human.stdout).toContain('skipped 1 expired; rejected 9 lines.')
    expect(human.stdout).toContain('  line 2: not valid JSON')
    expect(human.stdout).toContain('  line 8: "data" is missing')
    expect(human.stderr).toContain('9 lines were rejected')
  })

  it.skipIf(process.platform !== 'linux')(
    'an input that fails to read is ERR_INPUT naming it and how far it got',
    async () => {
      const db = join(await tempDir(), 'db')
      // Readable by stat, failing on read (EIO): as a failing disk or device would.
      const run = await cli(['import', db, '/proc/self/mem', '--json'])
      expect(run.code).toBe(1)
      expect(json<{ error: Record<string, unknown> }>(run.stderr).error).toMatchObject({
        code: 'ERR_INPUT',
        file: '/proc/self/mem',
        lines: 0,
      })
    },
  )

  it('reads standard input with -, and exits 0 when only expired lines were skipped', async () => {
    const dir = await tempDir()
    const now = Date.now()
    const input =
      `${JSON.stringify({ id: 'a', data: {}, createdAt: now, expiresAt: now + 60_000 })}\r\n` +
      `${JSON.stringify({ id: 'b', data: {}, createdAt: 1, expiresAt: 2 })}`
    const run = await cli(['import', join(dir, 'db'), '-'], { input: `\uFEFF${input}` })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /imported 1 session .* from standard input .*skipped 1 expired; rejected 0 lines/,
    )
  })

  it('refuses a directory on standard input (Node reads one as empty), creating nothing', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    const fd = openSync(dir, 'r')
    try {
      const child = spawn(process.execPath, [BIN, 'import', db, '-', '--json'], {
        cwd: PACKAGE_DIR,
        stdio: [fd, 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect(code).toBe(1)
      expect(json<{ error: Record<string, unknown> }>(stderr).error).toMatchObject({
        code: 'ERR_INPUT',
        file: 'standard input',
      })
      expect(existsSync(db)).toBe(false)
    } finally {
      closeSync(fd)
    }
  })

  it('fails on an input file that does not exist, without creating the database', async () => {
    const dir = await tempDir()
    const run = await cli(['import', join(dir, 'db'), join(dir, 'missing.jsonl')])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('does not exist')
    expect(existsSync(join(dir, 'db'))).toBe(false)
    expect((await cli(['import', join(dir, 'db')])).code).toBe(2)
  })

  it('streams: writes to the database while the input is still arriving', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    const child = spawn(process.execPath, [BIN, 'import', db, '-', '--json'], { cwd: PACKAGE_DIR })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const now = Date.now()
    const pad = 'p'.repeat(1000)
    const line = (i: number) =>
      `${JSON.stringify({ id: `s-${i}`, data: { pad, i }, createdAt: now, expiresAt: now + 3_600_000 })}\n`
    // 10,000 lines (about 10 MB) written with backpressure, standard input left open.
    for (let i = 0; i < 10_000; i++) {
      if (!child.stdin.write(line(i)))
        await new Promise((resolve) => child.stdin.once('drain', resolve))
    }
    // An importer that read its input whole would write nothing before the end of input. (The
    // files hold less than was sent: LevelDB compresses the tables and drops flushed logs.)
    const logBytes = async () => {
      if (!existsSync(db)) return 0
      let total = 0
      for (const name of await readdir(db)) {
        if (name.endsWith('.log') || name.endsWith('.ldb')) {
          total += (await stat(join(db, name)).catch(() => ({ size: 0 }))).size
        }
      }
      return total
    }
    const deadline = Date.now() + 20_000
    while ((await logBytes()) < 1_000_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(child.exitCode).toBe(null)
    expect(await logBytes()).toBeGreaterThanOrEqual(1_000_000)
    child.stdin.end()
    expect(await exited).toBe(0)
    expect(json<ImportResult>(stdout)).toMatchObject({ imported: 10_000, rejected: 0 })
  })
})
