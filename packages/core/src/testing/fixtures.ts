/**
 * @module
 * Test fixtures every package's tests share: temp directories, apps in child processes, a
 * cookie-keeping client and a store whose calls can be made to fail. For Vitest: each fixture
 * cleans up when the current test finishes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { onTestFinished } from 'vitest'

/** A fresh directory under the OS temp dir, removed when the test finishes. */
export async function tempDir(prefix = 'levelsession-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Throws a clear error when a package has not been built: child-process tests run `dist`.
 * @param packagesDir - the folder holding the packages (`packages/`)
 */
export function assertBuilt(packagesDir: string, names: readonly string[]): void {
  for (const name of names) {
    for (const entry of ['dist/esm/index.js', 'dist/cjs/index.js']) {
      if (!existsSync(join(packagesDir, name, entry))) {
        throw new Error(
          `packages/${name}/${entry} is missing: these tests run the built packages. ` +
            `Run \`npm run build\` in ${names.map((n) => `packages/${n}`).join(' and ')} ` +
            '(Nx does it before `test`).',
        )
      }
    }
  }
}

export interface ChildServer {
  child: ChildProcess
  /** `http://127.0.0.1:<port>` */
  url: string
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>
  /** What the process wrote to stderr so far. */
  stderr(): string
}

/**
 * Runs `node <script> [...args]` and resolves once it prints `listening <port>`; the process is
 * killed when the test finishes.
 */
export async function startServer(
  script: string,
  options: { env?: Record<string, string>; args?: string[] } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    env: { ...process.env, NODE_ENV: 'test', ...options.env },
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
    void exited.then((code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)))
  })
  return { child, url: `http://127.0.0.1:${port}`, exited, stderr: () => stderr }
}

/** `fetch` that keeps the cookies it is given, like one browser. */
export function cookieClient(): {
  fetch: (url: string, init?: RequestInit) => Promise<Response>
  cookies: Map<string, string>
} {
  const cookies = new Map<string, string>()
  return {
    cookies,
    fetch: async (url, init = {}) => {
      const headers = new Headers(init.headers)
      if (cookies.size > 0) {
        headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
      }
      const res = await fetch(url, { ...init, headers, redirect: 'manual' })
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';')
        const at = pair.indexOf('=')
        const name = pair.slice(0, at).trim()
        const value = pair.slice(at + 1)
        if (value === '' || /;\s*max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) {
          cookies.delete(name)
        } else {
          cookies.set(name, value)
        }
      }
      return res
    },
  }
}

/**
 * Wraps a store so that its method `plan.method` fails while `plan.failing` is above zero (each
 * failure uses one), as a full disk or a lost database would, with `ERR_STORE_IO`.
 */
export function failingStore<S extends object>(
  store: S,
): { store: S; plan: { failing: number; method: string } } {
  const plan = { failing: 0, method: 'set' }
  const proxy = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (key === plan.method && plan.failing > 0) {
          plan.failing -= 1
          return Promise.reject(
            Object.assign(new Error(`injected ${String(key)} failure`), { code: 'ERR_STORE_IO' }),
          )
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { store: proxy, plan }
}

/**
 * A gate a route waits on (`await gate.opened`), which tells the test when a request reached it
 * (`await gate.reached`): for holding a request in flight while the test does something else.
 */
export function gate(): {
  open: () => void
  opened: Promise<void>
  arrived: () => void
  reached: Promise<void>
} {
  let open!: () => void
  let arrived!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  return { open, opened, arrived, reached }
}
