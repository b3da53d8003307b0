import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { BIN, cli, json, populate, tempDir } from './helpers.js'

describe('levelsession export', () => {
  let dir: string
  let db: string
  beforeAll(async () => {
    dir = await tempDir()
    db = join(dir, 'db')
    await populate(db, { live: 25, expired: 5 })
  })

  it('writes one JSON object per live session to standard output', async () => {
    const run = await cli(['export', db])
    expect(run.code).toBe(0)
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => json(line))
    expect(lines).toHaveLength(25)
    expect(lines[0]).toEqual({
      id: 'live-00000',
      data: { i: 0, user: 'ann', note: 'n0' },
      createdAt: expect.any(Number) as number,
      expiresAt: expect.any(Number) as number,
      userId: 'ann',
    })
    expect(Object.keys(lines[2]!)).toEqual(['id', 'data', 'createdAt', 'expiresAt'])
    expect(run.stderr).toBe(`Exported 25 sessions from ${db}.\n`)
  })

  it('writes a file, refuses to overwrite it without --force, and leaves no partial file', async () => {
    const file = join(dir, 'backup.jsonl')
    const first = await cli(['export', db, file, '--json'])
    expect(first.code).toBe(0)
    expect(json(first.stdout)).toMatchObject({ path: db, file, exported: 25 })
    const content = await readFile(file, 'utf8')
    expect(content.split('\n')).toHaveLength(26)

    await writeFile(file, 'keep me')
    const refused = await cli(['export', db, file])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('already exists')
    expect(await readFile(file, 'utf8')).toBe('keep me')

    const forced = await cli(['export', db, file, '--force'])
    expect(forced.code).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(content)
    expect((await readdir(dir)).filter((name) => name.includes('.partial'))).toEqual([])
    // It holds every session: readable by its owner alone.
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('--force neither writes through nor replaces a symlink, a FIFO or a device', async () => {
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'untouched')
    const file = join(dir, 'linked.jsonl')
    await symlink(victim, file)
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    for (const [output, what] of [
      [file, 'a symbolic link'],
      [fifo, 'not a regular file'],
      ['/dev/null', 'not a regular file'],
    ] as const) {
      const run = await cli(['export', db, output, '--force', '--json'])
      expect(run.code).toBe(1)
      expect(json<{ error: { code: string; message: string } }>(run.stderr).error).toMatchObject({
        code: 'ERR_OUTPUT_PATH',
        message: `Cannot write ${output}: it is ${what}.`,
      })
    }
    expect(await readFile(victim, 'utf8')).toBe('untouched')
    expect((await lstat(file)).isSymbolicLink()).toBe(true)
    expect((await lstat(fifo)).isFIFO()).toBe(true)
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true)
  })

  it('an export interrupted by a signal leaves neither the file nor a partial one', async () => {
    const big = join(await tempDir(), 'big')
    await populate(big, { live: 30_000 })
    const out = join(dir, 'interrupted.jsonl')
    const child = spawn(process.execPath, [BIN, 'export', big, out], { stdio: 'ignore' })
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    )
    // Stopped once its partial file exists, so the signal lands mid-export.
    const partialOf = async () =>
      (await readdir(dir)).find((name) => name.startsWith('interrupted.jsonl.partial-'))
    while ((await partialOf()) === undefined) await new Promise((r) => setTimeout(r, 2))
    child.kill('SIGSTOP')
    child.kill('SIGINT')
    child.kill('SIGCONT')
    expect(await exited).toBe('SIGINT')
    expect(await partialOf()).toBeUndefined()
    expect(existsSync(out)).toBe(false)
  }, 60_000)

  it('names the file given when it cannot be written, never the temporary one', async () => {
    const inMissingDir = join(dir, 'no-such-dir', 'x.jsonl')
    const missing = await cli(['export', db, inMissingDir, '--json'])
    expect(missing.code).toBe(1)
    expect(json<{ error: { code: string; message: string } }>(missing.stderr).error).toMatchObject({
      code: 'ERR_OUTPUT_PATH',
      message: `Cannot write ${inMissingDir}: ${join(dir, 'no-such-dir')} does not exist.`,
    })
    const onDir = await cli(['export', db, dir, '--force'])
    expect(onDir.code).toBe(1)
    expect(onDir.stderr).toContain(`Cannot write ${dir}: it is a directory.`)
    expect(onDir.stderr).not.toContain('.partial')
  })

  it('fails on a missing database without creating anything', async () => {
    const file = join(dir, 'none.jsonl')
    const run = await cli(['export', join(dir, 'nope'), file])
    expect(run.code).toBe(1)
    expect(existsSync(file)).toBe(false)
    expect(existsSync(join(dir, 'nope'))).toBe(false)
  })
})
