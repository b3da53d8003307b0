import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { access, constants, copyFile, mkdir, readFile, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  BIN,
  cli,
  fixture,
  json,
  PACKAGE_DIR,
  populate,
  REPO_ROOT,
  runProcess,
  tempDir,
} from './helpers.js'

const COMMANDS = [
  'setup',
  'stats',
  'list',
  'show',
  'destroy',
  'revoke',
  'prune',
  'compact',
  'export',
  'import',
  'repair',
  'clear',
  'drop',
]

describe('the levelsession program', () => {
  it('--help lists every command and exits 0; so does each command', async () => {
    const run = await cli(['--help'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    for (const name of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'))
    const helps = await Promise.all(COMMANDS.map((name) => cli([name, '--help'])))
    helps.forEach((help, i) => {
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`Usage: levelsession ${COMMANDS[i]} `)
      expect(help.stdout).toContain('--help')
    })
    for (const args of [
      ['help', 'export'],
      ['help', '--json', 'export'],
      ['--json', 'help', 'export'],
      ['help', 'export', '--json'],
    ]) {
      const run = await cli(args)
      expect(run.code, args.join(' ')).toBe(0)
      expect(run.stdout, args.join(' ')).toContain('Usage: levelsession export')
    }
  })

  it('help for an unknown command says so, with a suggestion, in words or as JSON', async () => {
    const words = await cli(['help', 'exprot'])
    expect(words).toMatchObject({ code: 2, stdout: '' })
    expect(words.stderr).toMatch(/^error: unknown command 'exprot'\n\(Did you mean export\?\)/)
    for (const args of [
      ['help', '--json', 'exprot'],
      ['--json', 'help', 'exprot'],
    ]) {
      const run = await cli(args)
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' })
    }
    const asJson = await cli(['help', 'exprot', '--json'])
    expect(asJson).toMatchObject({ code: 2, stdout: '' })
    expect(json<{ error: { code: string; message: string } }>(asJson.stderr).error).toEqual({
      code: 'ERR_USAGE',
      message: "unknown command 'exprot'\n(Did you mean export?)",
    })
    // Help alone, and help about help, are help asked for.
    for (const args of [['help'], ['help', 'help']]) {
      const run = await cli(args)
      expect({ args, code: run.code }).toEqual({ args, code: 0 })
      expect(run.stdout).toContain('Usage: levelsession [options] [command]')
    }
  })

  it('--version prints the version in package.json', async () => {
    const pkg = json<{ version: string }>(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'))
    const run = await cli(['--version'])
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  it('exits 2 on wrong usage', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['stats'],
      ['stats', 'a', 'b'],
      ['stats', 'a', '--bogus'],
      ['list', 'a', '--limit'],
      ['show', 'a'],
    ]) {
      const run = await cli(args)
      expect({ args, code: run.code }).toEqual({ args, code: 2 })
    }
  })

  it('reports wrong usage as JSON, and only as JSON, with --json', async () => {
    for (const args of [
      ['stats', '--json'],
      ['list', 'a', '--limit', '0', '--json'],
      ['stats', 'a', '--bogus', '--json'],
    ]) {
      const run = await cli(args)
      expect({ args, code: run.code }).toEqual({ args, code: 2 })
      const { error } = json<{ error: { code: string; message: string } }>(run.stderr)
      expect(error.code).toBe('ERR_USAGE')
      expect(error.message).not.toMatch(/^error:/)
    }
  })

  it('exits 0 on success and 1 on failure, for every command', async () => {
    const dir = await tempDir()
    const db = join(dir, 'db')
    await populate(db, { live: 3, expired: 1 })
    const missing = join(dir, 'missing')
    const args: Record<string, string[]> = {
      setup: [],
      stats: [],
      list: [],
      show: ['live-00000'],
      destroy: ['live-00001'],
      revoke: ['--user', 'bob'],
      prune: [],
      compact: [],
      export: [join(dir, 'out.jsonl')],
      import: [join(dir, 'out.jsonl')],
      repair: [],
      clear: ['--yes'],
      drop: ['--yes'],
    }
    for (const name of COMMANDS) {
      const ok = await cli([name, db, ...args[name]!, '--json'])
      expect({ name, code: ok.code, stderr: ok.stderr }).toEqual({ name, code: 0, stderr: '' })
      expect(() => json(ok.stdout.trim())).not.toThrow()
    }
    // Failures: the database is gone now (drop), or the input is missing.
    for (const name of COMMANDS) {
      const target = name === 'setup' ? join(dir, 'out.jsonl', 'x') : missing
      const fail = await cli([
        name,
        target,
        ...(name === 'import' ? [join(dir, 'nope.jsonl')] : args[name]!),
        '--json',
      ])
      expect({ name, code: fail.code }).toEqual({ name, code: 1 })
      expect(
        json<{ error: { code: string; message: string } }>(fail.stderr).error.message,
      ).toBeTruthy()
      expect(fail.stdout).toBe('')
    }
    expect(existsSync(missing)).toBe(false)
  })
})

describe('the bin', () => {
  it('is declared in package.json, executable, and runs the build through a symlink as npm links it', async () => {
    const pkg = json<{ bin: Record<string, string>; files: string[] }>(
      await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'),
    )
    expect(pkg.bin).toEqual({ levelsession: './bin/levelsession.js' })
    expect(pkg.files).toContain('bin')
    await access(BIN, constants.X_OK)
    expect((await readFile(BIN, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true)
    // npm links node_modules/.bin/levelsession -> the bin; it must find dist from there.
    const dir = await tempDir()
    await mkdir(join(dir, '.bin'))
    await symlink(BIN, join(dir, '.bin', 'levelsession'))
    const run = await runProcess(join(dir, '.bin', 'levelsession'), ['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: levelsession')
  })

  it('is committed, not ignored: npm links it only if it exists right after a clone', async () => {
    const git = (args: string[]) =>
      promisify(execFile)('git', args, { cwd: REPO_ROOT }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? 1,
      )
    // `git check-ignore` exits 1 when the path is not ignored.
    expect(await git(['check-ignore', '-q', 'packages/cli/bin/levelsession.js'])).toBe(1)
  })

  it('survives a reader that closes the pipe early', async () => {
    const run = await runProcess('/bin/sh', [
      '-c',
      `"${process.execPath}" "${BIN}" --help | head -1`,
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('Usage: levelsession [options] [command]\n')
    expect(run.stderr).toBe('')
  })

  it('says to build when dist is missing, and exits 1', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'bin'))
    await copyFile(BIN, join(dir, 'bin', 'levelsession.js'))
    const run = await runProcess(process.execPath, [join(dir, 'bin', 'levelsession.js'), '--help'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('the CLI is not built yet')
    expect(run.stderr).toContain('npm run build')
  })

  const linked = existsSync(join(REPO_ROOT, 'node_modules', '.bin', 'levelsession'))
  it.skipIf(!linked)('npx levelsession --help works from the repository root', async () => {
    // --no: never fetch a package from the registry if the link were missing (and `--` so that
    // npx does not read `--no levelsession` as a flag with a value).
    const run = await runProcess('npx', ['--no', '--', 'levelsession', '--help'], {
      cwd: REPO_ROOT,
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: levelsession')
  })

  it('the built package works from require and from import', async () => {
    for (const consumer of ['consumer.cjs', 'consumer.mjs']) {
      const run = await runProcess(process.execPath, [fixture(consumer)])
      expect(run.code).toBe(0)
      expect(json(run.stdout)).toEqual({
        format: consumer.endsWith('.cjs') ? 'cjs' : 'esm',
        run: 'function',
        version: '0.1.0',
        ok: true,
      })
    }
  })
})
