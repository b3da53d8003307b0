/**
 * @module
 * The process-level tests every framework adapter runs against its built package: an ESM app
 * and a CommonJS app, sessions that survive a crash (SIGKILL) and a clean shutdown.
 *
 * The adapter provides two fixture apps, `server.mjs` and `server.cjs`, that keep sessions in
 * `process.env.SESSIONS_PATH`, print `listening <port>`, close their store on SIGTERM and answer
 * `GET /count` with `{ views, pid, module, entry }`: the visit count of the session, the process
 * id, `typeof module`, and the resolved path of the adapter package's entry point.
 */
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, type ChildServer, cookieClient, startServer, tempDir } from './fixtures.js'

export interface AppProcessTestOptions {
  /** The adapter's folder name under `packages/`, e.g. `express`. */
  name: string
  /** The `packages/` folder. */
  packagesDir: string
  /** The folder holding `server.mjs` and `server.cjs`. */
  fixturesDir: string
}

interface CountView {
  views: number
  pid: number
  module: string
  entry: string
}

export function runAppProcessTests({
  name,
  packagesDir,
  fixturesDir,
}: AppProcessTestOptions): void {
  beforeAll(() => assertBuilt(packagesDir, ['core', name]))

  const start = (fixture: string, sessionsPath: string): Promise<ChildServer> =>
    startServer(join(fixturesDir, fixture), { env: { SESSIONS_PATH: sessionsPath } })

  /** One browser: keeps its cookies and expects JSON from the fixture app. */
  const browser = () => {
    const client = cookieClient()
    return async (url: string): Promise<CountView> => {
      const res = await client.fetch(url)
      expect(res.status).toBe(200)
      return (await res.json()) as CountView
    }
  }
  const entry = (format: 'esm' | 'cjs') =>
    new RegExp(`${name}[/\\\\]dist[/\\\\]${format}[/\\\\]index\\.js$`)

  describe('consumers of the built package', () => {
    it('an ESM app imports dist/esm', async () => {
      const server = await start('server.mjs', join(await tempDir(), 'sessions'))
      const visit = browser()
      expect(await visit(`${server.url}/count`)).toMatchObject({ views: 1, module: 'undefined' })
      const second = await visit(`${server.url}/count`)
      expect(second.views).toBe(2)
      expect(second.entry).toMatch(entry('esm'))
    })

    it('a CommonJS app requires dist/cjs', async () => {
      const server = await start('server.cjs', join(await tempDir(), 'sessions'))
      const visit = browser()
      expect(await visit(`${server.url}/count`)).toMatchObject({ views: 1, module: 'function' })
      const second = await visit(`${server.url}/count`)
      expect(second.views).toBe(2)
      expect(second.entry).toMatch(entry('cjs'))

      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0) // close() released the database cleanly
    })
  })

  describe('a process restart', () => {
    it('keeps sessions when the process is killed and started again', async () => {
      const sessionsPath = join(await tempDir(), 'sessions')
      const visit = browser()

      const first = await start('server.mjs', sessionsPath)
      await visit(`${first.url}/count`)
      const before = await visit(`${first.url}/count`)
      expect(before.views).toBe(2)
      first.child.kill('SIGKILL') // a crash: no close(), no flush
      await first.exited

      const second = await start('server.mjs', sessionsPath)
      const after = await visit(`${second.url}/count`)
      expect(after.pid).not.toBe(before.pid)
      expect(after.views).toBe(3)
    })

    it('keeps sessions across a clean shutdown, from ESM to CommonJS', async () => {
      const sessionsPath = join(await tempDir(), 'sessions')
      const visit = browser()

      const first = await start('server.mjs', sessionsPath)
      expect((await visit(`${first.url}/count`)).views).toBe(1)
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)

      const second = await start('server.cjs', sessionsPath)
      expect((await visit(`${second.url}/count`)).views).toBe(2)
    })
  })
}
