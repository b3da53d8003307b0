/**
 * The Express, Koa and Hono adapters on the Redis backend, over real HTTP: each adapter is given
 * a core store whose backend is Redis (`{ store }`), and the same scenarios run against all
 * three: the counter, sign-in with regenerate, destroy, expiry, sign out everywhere, and a store
 * failure (the client cut off from Redis) that fails one request with a 500.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import express, { type NextFunction, type Request, type Response } from 'express'
import expressSession from 'express-session'
import { Hono } from 'hono'
import Koa from 'koa'
import koaSession from 'koa-session'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSessionStore, type SessionStore } from '@levelsession/core'
import { LevelSessionStore as ExpressStore } from '@levelsession/express'
import { session as honoSession, type SessionEnv } from '@levelsession/hono'
import { LevelSessionStore as KoaStore } from '@levelsession/koa'
import { redisBackend } from '@levelsession/redis'
import { type Client, connectClient, cuttableProxy, until } from './helpers.js'
import { hasRedisServer, type RedisServer, startStandalone } from '@levelsession/redis/testing'

interface Data {
  views?: number
  user?: string
  [key: string]: unknown
}

/** What every test app answers. */
interface View {
  id: string | null
  views: number | null
  user: string | null
}

interface App {
  url: string
  /** Errors that reached the framework's error handling. */
  errors: unknown[]
  destroyUser(user: string): Promise<number>
}

type Framework = 'Express' | 'Koa' | 'Hono'

const SECRET = 'test secret'
const MAX_AGE = 60_000
const HOUR = 3_600_000

/**
 * The same routes on each framework: `GET /count` increments `views`; `POST /login?name=x`
 * regenerates the session and stores `user`; `POST /logout` destroys the session;
 * `POST /logout-everywhere` removes every session of the user (destroyUser), this one included.
 */
const apps: Record<Framework, (store: SessionStore<Data>) => Promise<App>> = {
  async Express(core) {
    const store = new ExpressStore({ store: core as never })
    const app = express()
    const errors: unknown[] = []
    app.use(
      expressSession({
        store,
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: MAX_AGE },
      }),
    )
    const view = (req: Request): View => ({
      id: req.sessionID,
      views: req.session.views ?? null,
      user: req.session.user ?? null,
    })
    app.get('/count', (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1
      res.json(view(req))
    })
    app.post('/login', (req, res, next) => {
      req.session.regenerate((err) => {
        if (err) return next(err)
        req.session.user = typeof req.query.name === 'string' ? req.query.name : 'nobody'
        res.json(view(req))
      })
    })
    app.post('/logout', (req, res, next) => {
      req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })))
    })
    app.post('/logout-everywhere', (req, res, next) => {
      store
        .destroyUser(req.session.user!)
        .then((removed) => req.session.destroy(() => res.json({ removed })), next)
    })
    app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      errors.push(err)
      if (res.headersSent) return next(err)
      res.status(500).json({ code: (err as { code?: unknown }).code ?? null })
    })
    const url = await listen(createServer(app))
    return { url, errors, destroyUser: (user) => store.destroyUser(user) }
  },

  async Koa(core) {
    const store = new KoaStore({ store: core as never })
    const app = new Koa()
    app.keys = [SECRET]
    const errors: unknown[] = []
    app.on('error', (error: unknown) => errors.push(error))
    app.use(koaSession({ store, maxAge: MAX_AGE }, app))
    app.use(async (ctx) => {
      const route = `${ctx.method} ${ctx.path}`
      const view = (): View => ({
        id: ctx.session.externalKey ?? null,
        views: ctx.session.views ?? null,
        user: ctx.session.user ?? null,
      })
      if (route === 'GET /count') {
        ctx.session.views = (ctx.session.views ?? 0) + 1
        ctx.body = view()
      } else if (route === 'POST /login') {
        await ctx.session.regenerate()
        ctx.session.user = String(ctx.query.name)
        ctx.body = view()
      } else if (route === 'POST /logout') {
        ctx.session = null
        ctx.body = { ok: true }
      } else if (route === 'POST /logout-everywhere') {
        const removed = await store.destroyUser(ctx.session.user!)
        ctx.session = null
        ctx.body = { removed }
      }
    })
    const handle = app.callback()
    const url = await listen(createServer((req, res) => void handle(req, res)))
    return { url, errors, destroyUser: (user) => store.destroyUser(user) }
  },

  async Hono(core) {
    const sessions = honoSession<Data>({ store: core, secret: SECRET, cookie: { maxAge: MAX_AGE } })
    const app = new Hono<SessionEnv<Data>>()
    const errors: unknown[] = []
    app.onError((error, c) => {
      errors.push(error)
      return c.json({ code: (error as { code?: unknown }).code ?? null }, 500)
    })
    app.use(sessions)
    const view = (s: SessionEnv<Data>['Variables']['session']): View => ({
      id: s.id,
      views: s.get('views') ?? null,
      user: s.get('user') ?? null,
    })
    app.get('/count', (c) => {
      const s = c.get('session')
      s.set('views', (s.get('views') ?? 0) + 1)
      return c.json(view(s))
    })
    app.post('/login', async (c) => {
      const s = c.get('session')
      await s.regenerate()
      s.set('user', c.req.query('name'))
      return c.json(view(s))
    })
    app.post('/logout', async (c) => {
      await c.get('session').destroy()
      return c.json({ ok: true })
    })
    app.post('/logout-everywhere', async (c) => {
      const s = c.get('session')
      const removed = await sessions.store.destroyUser(s.get('user')!)
      await s.destroy()
      return c.json({ removed })
    })
    const server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(started),
      )
    })
    cleanups.push(() => new Promise<void>((done) => server.close(() => done())))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      errors,
      destroyUser: (user) => sessions.store.destroyUser(user),
    }
  },
}

const cleanups: (() => Promise<unknown> | void)[] = []

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const view = (res: { body: unknown }) => res.body as View

describe.skipIf(!hasRedisServer)('the adapters on Redis, over HTTP', () => {
  let server: RedisServer
  let client: Client
  let prefixes = 0
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)

  beforeAll(async () => {
    server = await startStandalone()
    ;({ client } = await connectClient(server.url))
    process.on('unhandledRejection', onUnhandled)
  })
  afterEach(async () => {
    // In reverse: servers and stores first, then the clients they use.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    expect(unhandled).toEqual([])
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    client?.destroy()
    await server?.stop()
  })

  /** A core store on Redis under a fresh prefix, with a clock the test moves. */
  function redisStore(on: Client = client) {
    let time = Date.now()
    const store = createSessionStore<Data>({
      backend: redisBackend({ client: on, prefix: `http${++prefixes}:` }),
      cleanupInterval: 0,
      userId: (data) => data.user,
      now: () => time,
    })
    cleanups.push(() => store.close())
    return { store, advance: (ms: number) => (time += ms) }
  }

  describe.each(['Express', 'Koa', 'Hono'] as const)('%s', (framework) => {
    const start = apps[framework]

    it('counts visits across requests, stored in Redis', async () => {
      const { store } = redisStore()
      const { url } = await start(store)
      const browser = request.agent(url)
      const first = view(await browser.get('/count').expect(200))
      expect(first.views).toBe(1)
      for (let n = 2; n <= 5; n++) {
        expect(view(await browser.get('/count').expect(200))).toEqual({ ...first, views: n })
      }
      expect((await store.get(first.id!))?.data).toMatchObject({ views: 5 })
      expect(await store.count()).toBe(1)
      // Another browser has its own session.
      expect(view(await request(url).get('/count').expect(200)).views).toBe(1)
      expect(await store.count()).toBe(2)
    })

    it('sign-in regenerates the session under a new id and deletes the old one', async () => {
      const { store } = redisStore()
      const { url } = await start(store)
      const browser = request.agent(url)
      const before = view(await browser.get('/count').expect(200))
      await browser.post('/login?name=ann').expect(200)
      const after = view(await browser.get('/count').expect(200))
      expect(after.user).toBe('ann')
      expect(after.id).not.toBe(before.id)
      expect(await store.get(before.id!)).toBeUndefined()
      expect((await store.listUser('ann')).map((s) => s.id)).toEqual([after.id])
    })

    it('destroy removes the session from Redis; the next request starts afresh', async () => {
      const { store } = redisStore()
      const { url } = await start(store)
      const browser = request.agent(url)
      const first = view(await browser.get('/count').expect(200))
      await browser.get('/count').expect(200)
      await browser.post('/logout').expect(200)
      expect(await store.get(first.id!)).toBeUndefined()
      const next = view(await browser.get('/count').expect(200))
      expect(next.views).toBe(1)
      expect(next.id).not.toBe(first.id)
    })

    it('an expired session is never returned: the visitor starts a new one', async () => {
      const { store, advance } = redisStore()
      const { url } = await start(store)
      const browser = request.agent(url)
      const first = view(await browser.get('/count').expect(200))
      expect(view(await browser.get('/count').expect(200)).views).toBe(2)
      advance(HOUR) // the store's clock passes the session's expiry (cookie maxAge 60 s)
      const next = view(await browser.get('/count').expect(200))
      expect(next.views).toBe(1)
      expect(next.id).not.toBe(first.id)
      expect(await store.get(first.id!)).toBeUndefined()
    })

    it("destroyUser signs a user out of every browser, and nobody else's", async () => {
      const { store } = redisStore()
      const { url } = await start(store)
      const [laptop, phone, other] = [request.agent(url), request.agent(url), request.agent(url)]
      await laptop.post('/login?name=ann').expect(200)
      await phone.post('/login?name=ann').expect(200)
      await other.post('/login?name=bob').expect(200)
      for (const b of [laptop, phone]) await b.get('/count').expect(200)
      expect(await store.listUser('ann')).toHaveLength(2)

      expect((await laptop.post('/logout-everywhere').expect(200)).body).toEqual({ removed: 2 })
      expect(view(await phone.get('/count').expect(200))).toMatchObject({ user: null, views: 1 })
      expect(view(await other.get('/count').expect(200))).toMatchObject({ user: 'bob', views: 1 })
      expect(await store.listUser('ann')).toEqual([])
    })

    it('a store failure (Redis unreachable) is a 500; once it is back, the session goes on', async () => {
      const proxy = await cuttableProxy(server.port)
      cleanups.push(() => proxy.close())
      const { client: cuttable } = await connectClient(proxy.url)
      cleanups.push(() => cuttable.destroy())
      const { store } = redisStore(cuttable)
      const app = await start(store)
      const browser = request.agent(app.url)
      const first = view(await browser.get('/count').expect(200))

      await proxy.cut()
      await until(() => !cuttable.isReady, 'client disconnected')
      const failed = await browser.get('/count').timeout(10_000)
      expect(failed.status).toBe(500)
      expect(app.errors).toHaveLength(1)
      expect(app.errors[0]).toMatchObject({ code: 'ERR_STORE_IO' })

      await proxy.restore()
      await until(() => cuttable.isReady, 'client reconnected')
      expect(view(await browser.get('/count').expect(200))).toEqual({ ...first, views: 2 })
    })
  })
})
