/**
 * Test fixtures: temporary database directories, a hand-moved clock for the core store, and a
 * real Koa app (Koa 3 or Koa 2) with koa-session on a `LevelSessionStore`, listening on loopback.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Koa from 'koa'
import Koa2 from 'koa2'
import session, { type CreateSessionOptions } from 'koa-session'
import type { Response } from 'supertest'
import { onTestFinished } from 'vitest'
import { gate, TestClock, tempDir } from '@levelsession/core/testing'
import { LevelSessionStore, type LevelSessionStoreOptions } from '../src/index.js'

export const KEYS = ['test key']

export const KOA_VERSIONS = [
  { name: 'Koa 3', Koa },
  { name: 'Koa 2', Koa: Koa2 },
] as const

export type KoaClass = (typeof KOA_VERSIONS)[number]['Koa']

/** A clock the tests move by hand: pass `now` to the core store. */
export const manualClock = (start = Date.now()): TestClock => new TestClock(start)

/** A store on a temp directory with a `user` index, closed when the test finishes. */
export async function openStore(
  options: Partial<LevelSessionStoreOptions> = {},
): Promise<LevelSessionStore> {
  const store = new LevelSessionStore({
    path: join(await tempDir(), 'sessions'),
    cleanupInterval: 0,
    userId: (sess) => sess.user,
    ...options,
  })
  onTestFinished(() => store.close())
  await store.ready()
  return store
}

export interface View {
  key: string | null
  views: number | null
  user: string | null
  isNew: boolean
}

export interface TestApp {
  url: string
  /** Errors Koa reported through `app.on('error')`, in order. */
  errors: unknown[]
  /** The gate `GET /gate` waits on. */
  gate: ReturnType<typeof gate>
}

/**
 * A real Koa app with koa-session on `store`:
 * - `GET /count` increments `views`; `GET /peek` reads without changing anything
 * - `GET /gate?views=n` sets `views` (and regenerates with `&rotate`), then waits for the test's
 *   gate (then regenerates with `&regenerate`, signs in with `&user=x`, sets `views` to
 *   `&later=n`)
 * - `POST /login?name=x` regenerates the session, then stores `user`
 * - `POST /logout` assigns `ctx.session = null`
 * - `POST /logout-others` and `POST /logout-everywhere` call `destroyUser`
 */
export async function startApp(
  store: LevelSessionStore,
  options: CreateSessionOptions = {},
  KoaApp: KoaClass = Koa,
): Promise<TestApp> {
  const app = new KoaApp()
  app.keys = KEYS
  const errors: unknown[] = []
  app.on('error', (error: unknown) => errors.push(error))
  app.use(session({ store, maxAge: 60_000, ...options }, app))
  const routeGate = gate()

  const view = (ctx: Koa.Context): View => ({
    key: ctx.session.externalKey ?? null,
    views: ctx.session.views ?? null,
    user: ctx.session.user ?? null,
    isNew: ctx.session.isNew,
  })
  app.use(async (ctx) => {
    const route = `${ctx.method} ${ctx.path}`
    if (route === 'GET /count') {
      ctx.session.views = (ctx.session.views ?? 0) + 1
      ctx.body = view(ctx)
    } else if (route === 'GET /peek') {
      ctx.body = view(ctx)
    } else if (route === 'GET /gate') {
      ctx.session.views = Number(ctx.query.views)
      if (ctx.query.rotate !== undefined) await ctx.session.regenerate()
      ctx.body = view(ctx)
      routeGate.arrived()
      await routeGate.opened
      if (ctx.query.regenerate !== undefined) await ctx.session.regenerate()
      if (typeof ctx.query.user === 'string') ctx.session.user = ctx.query.user
      if (typeof ctx.query.later === 'string') ctx.session.views = Number(ctx.query.later)
    } else if (route === 'POST /login') {
      await ctx.session.regenerate()
      ctx.session.user = String(ctx.query.name)
      ctx.body = view(ctx)
    } else if (route === 'POST /logout') {
      ctx.session = null
      ctx.body = { ok: true }
    } else if (route === 'POST /logout-others') {
      const removed = await store.destroyUser(ctx.session.user!, {
        except: ctx.session.externalKey!,
      })
      ctx.body = { removed }
    } else if (route === 'POST /logout-everywhere') {
      const removed = await store.destroyUser(ctx.session.user!)
      ctx.session = null
      ctx.body = { removed }
    }
  })
  const handle = app.callback()
  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, errors, gate: routeGate }
}

/** The JSON body of a test route. */
export const view = (res: Response): View => res.body as View

/** The session cookie (`koa.sess`) a response set, without attributes, or undefined. */
export function sessionCookie(res: Response, name = 'koa.sess'): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined
  return header?.find((c) => c.startsWith(`${name}=`))
}

/** The value of the session cookie a response set (the store key), or undefined. */
export function cookieValue(res: Response, name = 'koa.sess'): string | undefined {
  return sessionCookie(res, name)
    ?.split(';')[0]
    ?.slice(name.length + 1)
}

export { tempDir }
