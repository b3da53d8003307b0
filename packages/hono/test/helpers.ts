/**
 * Test fixtures: temporary database directories, a manual clock, a cookie-keeping client, a test
 * app with the routes the HTTP tests drive, and a store wrapper that fails on demand.
 */
import { join } from 'node:path'
import { Hono } from 'hono'
import { onTestFinished } from 'vitest'
import { failingStore, gate, TestClock, tempDir } from '@levelsession/core/testing'
import { session, type SessionEnv, type SessionOptions } from '../src/index.js'

export const SECRET = 'test secret'

export interface Data {
  views: number
  user?: string
  list?: number[]
}

/** A clock the tests move by hand: pass `now` to the core store. */
export const manualClock = (start = Date.UTC(2030, 0, 1)): TestClock => new TestClock(start)

/** What the test app's routes answer. */
export interface View {
  id: string
  isNew: boolean
  views: number | null
  user: string | null
  flash?: unknown
}

type Fetcher = (path: string, init?: RequestInit) => Response | Promise<Response>

/** Keeps the session cookie between requests, the way a browser would. */
export class Client {
  cookie: string | undefined
  last: Response | undefined
  readonly #fetch: Fetcher

  constructor(fetcher: Fetcher) {
    this.#fetch = fetcher
  }

  /** The `Set-Cookie` header of the last response, or null. */
  get setCookie(): string | null {
    return this.last?.headers.get('set-cookie') ?? null
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookie !== undefined && !headers.has('cookie')) headers.set('cookie', this.cookie)
    const res = await this.#fetch(path, { ...init, headers })
    this.last = res
    const set = res.headers.get('set-cookie')
    if (set !== null) this.cookie = /;\s*Max-Age=0(;|$)/i.test(set) ? undefined : set.split(';')[0]
    return res
  }

  async view(path = '/', init: RequestInit = {}): Promise<View> {
    const res = await this.request(path, init)
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as View
  }

  post(path: string): Promise<View> {
    return this.view(path, { method: 'POST' })
  }
}

/** The cookie's value (the id, before the signature). */
export function idOf(cookie: string | undefined): string | undefined {
  const value = cookie?.split('=')[1]
  return value === undefined ? undefined : decodeURIComponent(value).split('.')[0]
}

export type TestOptions = Partial<SessionOptions<Data>>

/**
 * A test app on a temp directory: `/` counts visits, `/read` only reads, `/peek` does not look at
 * the session, `/login` regenerates, `/logout` destroys, `/logout-everywhere` uses the user index,
 * `/gate?views=n` sets `views` (and regenerates with `&rotate`), then waits for the test's `gate`
 * (then regenerates with `&regenerate`).
 */
export async function makeApp(options: TestOptions = {}) {
  const hasStorage = 'store' in options || 'db' in options || 'path' in options
  const middleware = session<Data>({
    ...(hasStorage ? {} : { path: join(await tempDir(), 'sessions'), cleanupInterval: 0 }),
    ...(!('store' in options) ? { userId: (data: Data) => data.user } : {}),
    secret: SECRET,
    ...options,
  })
  onTestFinished(() => middleware.close())
  await middleware.store.ready()
  const errors: Error[] = []
  const app = new Hono<SessionEnv<Data>>()
  app.onError((error, c) => {
    errors.push(error)
    return c.json({ error: (error as Error & { code?: string }).code ?? error.message }, 500)
  })
  app.use(middleware)
  const show = (s: SessionEnv<Data>['Variables']['session'], extra: object = {}): View => ({
    id: s.id,
    isNew: s.isNew,
    views: s.get('views') ?? null,
    user: s.get('user') ?? null,
    ...extra,
  })
  app.get('/', (c) => {
    const s = c.get('session')
    s.set('views', (s.get('views') ?? 0) + 1)
    return c.json(show(s))
  })
  app.get('/read', (c) => c.json(show(c.get('session'))))
  const routeGate = gate()
  app.get('/gate', async (c) => {
    const s = c.get('session')
    s.set('views', Number(c.req.query('views')))
    if (c.req.query('rotate') !== undefined) await s.regenerate()
    routeGate.arrived()
    await routeGate.opened
    if (c.req.query('regenerate') !== undefined) await s.regenerate()
    return c.json(show(s))
  })
  app.get('/peek', (c) => c.text('peek'))
  app.get('/push', (c) => {
    // Changes an object in place, without calling set().
    const s = c.get('session')
    const list = s.get('list')
    if (list === undefined) s.set('list', [1])
    else list.push(list.length + 1)
    return c.json(show(s, { list: s.get('list') }))
  })
  app.get('/touch', (c) => {
    c.get('session').touch()
    return c.json(show(c.get('session')))
  })
  app.get('/clear', (c) => {
    c.get('session').clear()
    return c.json(show(c.get('session')))
  })
  app.post('/login', async (c) => {
    const s = c.get('session')
    await s.regenerate()
    s.set('user', c.req.query('user') ?? 'ann')
    return c.json(show(s))
  })
  app.post('/logout', async (c) => {
    await c.get('session').destroy()
    return c.json(show(c.get('session')))
  })
  app.post('/logout-then-write', async (c) => {
    const s = c.get('session')
    await s.destroy()
    s.set('views', 100)
    return c.json(show(s))
  })
  app.post('/logout-everywhere', async (c) => {
    const s = c.get('session')
    const user = s.get('user')
    const removed = user === undefined ? 0 : await middleware.store.destroyUser(user)
    await s.destroy()
    return c.json(show(s, { removed }))
  })
  app.post('/flash', (c) => {
    c.get('session').flash('notice', c.req.query('message') ?? 'hello')
    return c.json(show(c.get('session')))
  })
  app.get('/flash', (c) => {
    const s = c.get('session')
    return c.json(show(s, { flash: s.flash<string>('notice') ?? null }))
  })
  app.get('/throw', (c) => {
    c.get('session').set('views', -1)
    throw new Error('handler failed')
  })
  const client = () => new Client((path, init) => app.request(path, init))
  return { app, middleware, store: middleware.store, errors, client, gate: routeGate }
}

export { failingStore, tempDir }
