import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSessionStore } from '@levelsession/core'
import { afterAll } from 'vitest'

/** The committed bin, which runs the built CLI in dist. */
export const BIN = fileURLToPath(new URL('../bin/levelsession.js', import.meta.url))
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

const dirs: string[] = []
/** A fresh temp directory, removed after the file's tests. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-cli-test-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Written to standard input, which is then closed. */
  input?: string
  cwd?: string
  /** Node options placed before the script, e.g. `--max-old-space-size=32`. */
  nodeArgs?: string[]
  /** Environment variables added to this process's. */
  env?: Record<string, string>
}

/** Runs the built `levelsession` binary to completion. */
export function cli(args: string[], options: RunOptions = {}): Promise<Run> {
  return runProcess(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], options)
}

export function runProcess(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? PACKAGE_DIR,
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Whether `script` (util-linux) can give a child a terminal. */
export const HAS_SCRIPT = existsSync('/usr/bin/script')

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input`; resolves to what the
 * terminal showed and the exit status.
 */
export function cliOnTerminal(args: string[], input = ''): Promise<Run> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return runProcess('/usr/bin/script', ['-qec', command, '/dev/null'], { input })
}

export interface Population {
  /** Live sessions, ids `live-00000`..., users cycling through `users` (and none). */
  live: number
  /** Sessions that expired a day ago and were never pruned. */
  expired?: number
  users?: string[]
}

/** Fills a database through core (in this process), then closes it. */
export async function populate(path: string, population: Population): Promise<void> {
  const users = population.users ?? ['ann', 'bob']
  const userOf = (i: number) =>
    i % (users.length + 1) === users.length ? undefined : users[i % (users.length + 1)]
  const past = createSessionStore<{ i: number; user?: string }>({
    path,
    cleanupInterval: 0,
    userId: (d) => d.user,
    now: () => Date.now() - 2 * 86_400_000,
  })
  await Promise.all(
    Array.from({ length: population.expired ?? 0 }, (_, i) =>
      past.set(`expired-${String(i).padStart(5, '0')}`, { i, user: users[0]! }),
    ),
  )
  await past.close()
  const store = createSessionStore<{ i: number; user?: string; note?: string }>({
    path,
    cleanupInterval: 0,
    userId: (d) => d.user,
  })
  await Promise.all(
    Array.from({ length: population.live }, (_, i) => {
      const user = userOf(i)
      return store.set(
        `live-${String(i).padStart(5, '0')}`,
        user === undefined ? { i, note: `n${i}` } : { i, user, note: `n${i}` },
        { ttl: 3_600_000 + i * 1000 },
      )
    }),
  )
  await store.close()
}

/** Starts a process that holds the database open like a running app; `stop()` ends it. */
export async function holdDatabase(
  path: string,
): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fixture('hold.mjs'), path])
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('ready\n')) resolve()
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`hold.mjs exited with ${code}: ${out}`)))
  })
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.stdin.end()
      await exited
    },
  }
}

/** Parses `--json` output, failing the test with the text if it is not JSON. */
export function json<T = Record<string, unknown>>(text: string): T {
  try {
    return JSON.parse(text) as T
  } catch {
    throw new Error(`not JSON: ${text}`)
  }
}
