/**
 * The BUILT package in child processes (run `npm run build` in packages/core and here first; Nx's
 * `test` target does): sessions that survive a server restart over real HTTP, `require` and
 * `import`, and the clear refusal on edge runtimes.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Client, tempDir } from './helpers.js'

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

async function run(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 20_000 })
  return stdout.trim()
}

/** Starts the fixture server on `dir`; resolves to its base URL once it listens. */
async function startServer(dir: string) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    fixture('server.mjs'),
    dir,
  ])
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.stdin.end()
    return exited
  }
  onTestFinished(async () => {
    await stop()
  })
  const port = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(out.trim())
    })
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)))
  })
  return { base: `http://127.0.0.1:${port}`, pid: child.pid, stop }
}

describe('built package, in child processes', () => {
  it('sessions survive a server restart (real HTTP, @hono/node-server)', async () => {
    const dir = await tempDir()
    const first = await startServer(dir)
    const browser = new Client((path, init) => fetch(first.base + path, init))
    const one = (await browser.view('/')) as unknown as { id: string; views: number; pid: number }
    expect(one.views).toBe(1)
    expect((await browser.view('/')).views).toBe(2)
    expect(await first.stop()).toBe(0)

    const second = await startServer(dir)
    expect(second.pid).not.toBe(first.pid)
    const again = new Client((path, init) => fetch(second.base + path, init))
    again.cookie = browser.cookie
    const three = (await again.view('/')) as unknown as { id: string; views: number; pid: number }
    expect(three).toMatchObject({ id: one.id, views: 3, pid: second.pid })
    expect(await second.stop()).toBe(0)
  })

  it('works from require and from import, with the hono-session subpath', async () => {
    const dir = await tempDir()
    for (const consumer of ['consumer.cjs', 'consumer.mjs']) {
      const out = JSON.parse(await run([fixture(consumer), join(dir, consumer)])) as unknown
      expect(out).toEqual({
        data: { format: consumer.endsWith('.cjs') ? 'cjs' : 'esm' },
        cookie: true,
        errors: 'function',
      })
    }
  })

  it('refuses to load on edge runtimes with a message that says why', async () => {
    for (const specifier of ['@levelsession/hono', '@levelsession/hono/hono-session']) {
      for (const condition of ['workerd', 'edge-light', 'browser']) {
        const out = await run([`--conditions=${condition}`, fixture('edge.mjs'), specifier])
        expect(out).toMatch(/^@levelsession\/hono runs on Node\.js only: .*classic-level/)
      }
    }
    expect(await run([fixture('edge.mjs'), '@levelsession/hono'])).toBe('loaded')
  })
})
