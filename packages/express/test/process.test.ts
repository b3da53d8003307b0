/**
 * Real processes on the built package: an ESM consumer and a CommonJS consumer, and sessions
 * that survive a crash and restart of the process that owns the database.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { tempDir } from './helpers.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const packages = join(here, '..', '..')

beforeAll(() => {
  for (const name of ['core', 'express']) {
    for (const entry of ['dist/esm/index.js', 'dist/cjs/index.js']) {
      if (!existsSync(join(packages, name, entry))) {
        throw new Error(
          `packages/${name}/${entry} is missing: these tests run the built packages. ` +
            'Run `npm run build` in packages/core and packages/express (Nx does it for `test`).',
        )
      }
    }
  }
})

interface Server {
  child: ChildProcess
  url: string
  exited: Promise<number | null>
}

/** Starts a fixture app; resolves once it printed its port. Killed when the test finishes. */
async function startServer(fixture: string, sessionsPath: string): Promise<Server> {
  const child = spawn(process.execPath, [join(here, 'fixtures', fixture)], {
    env: { ...process.env, SESSIONS_PATH: sessionsPath, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const lines = createInterface({ input: child.stdout })
  const port = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line)
      if (match) resolve(match[1]!)
    })
    void exited.then((code) => reject(new Error(`${fixture} exited with ${code}: ${stderr}`)))
  })
  return { child, url: `http://127.0.0.1:${port}`, exited }
}

/** A minimal cookie jar for one session cookie. */
function browser() {
  let cookie: string | undefined
  return async (url: string) => {
    const res = await fetch(url, { headers: cookie === undefined ? {} : { cookie } })
    const set = res.headers.get('set-cookie')
    if (set !== null) cookie = set.split(';')[0]
    expect(res.status).toBe(200)
    return (await res.json()) as { views: number; pid: number; module: string; entry: string }
  }
}

describe('consumers of the built package', () => {
  it('an ESM app imports dist/esm', async () => {
    const server = await startServer('server.mjs', join(await tempDir(), 'sessions'))
    const visit = browser()
    expect(await visit(`${server.url}/count`)).toMatchObject({ views: 1, module: 'undefined' })
    const second = await visit(`${server.url}/count`)
    expect(second.views).toBe(2)
    expect(second.entry).toMatch(/express[/\\]dist[/\\]esm[/\\]index\.js$/)
  })

  it('a CommonJS app requires dist/cjs', async () => {
    const server = await startServer('server.cjs', join(await tempDir(), 'sessions'))
    const visit = browser()
    expect(await visit(`${server.url}/count`)).toMatchObject({ views: 1, module: 'function' })
    const second = await visit(`${server.url}/count`)
    expect(second.views).toBe(2)
    expect(second.entry).toMatch(/express[/\\]dist[/\\]cjs[/\\]index\.js$/)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0) // close() released the database cleanly
  })
})

describe('a process restart', () => {
  it('keeps sessions when the process is killed and started again', async () => {
    const sessionsPath = join(await tempDir(), 'sessions')
    const visit = browser()

    const first = await startServer('server.mjs', sessionsPath)
    await visit(`${first.url}/count`)
    const before = await visit(`${first.url}/count`)
    expect(before.views).toBe(2)
    first.child.kill('SIGKILL') // a crash: no close(), no flush
    await first.exited

    const second = await startServer('server.mjs', sessionsPath)
    const after = await visit(`${second.url}/count`)
    expect(after.pid).not.toBe(before.pid)
    expect(after.views).toBe(3)
  })

  it('keeps sessions across a clean shutdown, from ESM to CommonJS', async () => {
    const sessionsPath = join(await tempDir(), 'sessions')
    const visit = browser()

    const first = await startServer('server.mjs', sessionsPath)
    expect((await visit(`${first.url}/count`)).views).toBe(1)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)

    const second = await startServer('server.cjs', sessionsPath)
    expect((await visit(`${second.url}/count`)).views).toBe(2)
  })
})
