/**
 * express-session on LevelSessionStore, over real HTTP, on Express 5 and Express 4.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { createServer } from 'node:http'
import session from 'express-session'
import request from 'supertest'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { aboutMs, EXPRESS_VERSIONS, listen, openStore, SECRET, startApp, view } from './helpers.js'

const DAY = 86_400_000

describe.each(EXPRESS_VERSIONS)('$name', ({ express }) => {
  it('counts visits across requests with a cookie jar', async () => {
    const store = await openStore()
    const { url } = await startApp(store, { cookie: { maxAge: 60_000 } }, express)
    const browser = request.agent(url)

    const first = await browser.get('/count').expect(200)
    expect(view(first)).toMatchObject({ views: 1 })
    expect(first.headers['set-cookie']).toBeDefined()
    // originalMaxAge may come out a millisecond short (see aboutMs).
    const same = { ...view(first), maxAge: aboutMs(60_000) }
    expect(view(await browser.get('/count').expect(200))).toEqual({ ...same, views: 2 })
    expect(view(await browser.get('/count').expect(200))).toEqual({ ...same, views: 3 })

    // The stored JSON keeps express-session's cookie shape.
    const stored = await store.core.get(view(first).id)
    expect(stored?.data).toEqual({
      views: 3,
      cookie: {
        originalMaxAge: aboutMs(60_000),
        expires: expect.any(String) as unknown,
        httpOnly: true,
        path: '/',
      },
    })
    expect(stored!.expiresAt).toBeGreaterThan(Date.now() + 50_000)
  })

  it("works under an app test's fake timers, and vi.setSystemTime expires the session", async () => {
    const store = await openStore()
    const { url } = await startApp(store, { cookie: { maxAge: 60_000 } }, express)
    vi.useFakeTimers({ now: Date.now() })
    onTestFinished(() => void vi.useRealTimers())
    const browser = request.agent(url)
    const first = view(await browser.get('/count').expect(200))
    // The second request's get is answered from the cache, its set written through.
    expect(view(await browser.get('/count').expect(200))).toMatchObject({ id: first.id, views: 2 })
    vi.setSystemTime(Date.now() + 61_000)
    const after = view(await browser.get('/count').expect(200))
    expect(after.views).toBe(1)
    expect(after.id).not.toBe(first.id)
    expect(await store.core.get(first.id)).toBeUndefined()
  })

  it('writes nothing for an untouched visitor when saveUninitialized is false', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, express)

    const res = await request(url).get('/peek').expect(200)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(await store.length()).toBe(0)
  })

  it('stores an untouched visitor when saveUninitialized is true', async () => {
    const store = await openStore()
    const { url } = await startApp(store, { saveUninitialized: true }, express)

    const res = await request(url).get('/peek').expect(200)
    expect(res.headers['set-cookie']).toBeDefined()
    expect(await store.ids()).toEqual([view(res).id])
  })

  it('resave false: an unmodified request touches and never writes back its stale copy', async () => {
    const store = await openStore()
    const app = await startApp(store, { resave: false }, express)
    const browser = request.agent(app.url)
    const body = view(await browser.get('/count').expect(200))
    const set = vi.spyOn(store.core, 'set')
    const touch = vi.spyOn(store.core, 'touch')

    // A slow request loads views = 1; meanwhile another request stores views = 10.
    const slow = browser.get('/gate').then((res) => res)
    await app.gate.reached
    await browser.get('/set?views=10').expect(200)
    app.gate.open()
    expect(view(await slow)).toMatchObject({ views: 1 })

    expect(set).toHaveBeenCalledTimes(1) // the /set request only
    expect(touch).toHaveBeenCalledTimes(1) // the slow request
    expect((await store.core.get(body.id))?.data).toMatchObject({ views: 10 })
  })

  it('resave true: an unmodified request saves its copy (express-session semantics)', async () => {
    const store = await openStore()
    const app = await startApp(store, { resave: true }, express)
    const browser = request.agent(app.url)
    const body = view(await browser.get('/count').expect(200))

    const slow = browser.get('/gate').then((res) => res)
    await app.gate.reached
    await browser.get('/set?views=10').expect(200)
    app.gate.open()
    await slow

    expect((await store.core.get(body.id))?.data).toMatchObject({ views: 1 })
  })

  it('rolling sends a fresh cookie on every response; without it only on change', async () => {
    for (const rolling of [true, false]) {
      const store = await openStore()
      const { url } = await startApp(store, { rolling, cookie: { maxAge: 60_000 } }, express)
      const browser = request.agent(url)
      await browser.get('/count').expect(200)

      const res = await browser.get('/peek').expect(200)
      expect(res.headers['set-cookie'] !== undefined).toBe(rolling)
    }
  })

  it('regenerate moves the session to a new id and removes the old record', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, express)
    const browser = request.agent(url)
    const before = await browser.get('/count').expect(200)

    const after = await browser.post('/login?name=ann').expect(200)
    expect(view(after).id).not.toBe(view(before).id)
    expect(view(after)).toMatchObject({ user: 'ann', views: null })
    expect(await store.get(view(before).id)).toBeNull()
    await browser.get('/peek').expect(200, { ...view(after) })
  })

  it('destroy removes the session; the next request starts a new one', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, express)
    const browser = request.agent(url)
    const body = view(await browser.get('/count').expect(200))

    await browser.post('/logout').expect(200)
    expect(await store.get(body.id)).toBeNull()
    const next = await browser.get('/count').expect(200)
    expect(view(next).id).not.toBe(body.id)
    expect(view(next).views).toBe(1)
  })

  it('remember me: a cookie.maxAge change arriving through touch survives', async () => {
    const store = await openStore({ maxAge: 60_000 })
    const { url } = await startApp(store, { cookie: { maxAge: 60_000 } }, express)
    const browser = request.agent(url)
    const body = view(await browser.get('/count').expect(200))
    const touch = vi.spyOn(store.core, 'touch')

    await browser.get('/remember').expect(200)
    expect(touch).toHaveBeenCalledTimes(1) // the data did not change: a touch, not a set
    const stored = await store.core.get(body.id)
    expect(stored?.data).toMatchObject({ views: 1, cookie: { originalMaxAge: aboutMs(30 * DAY) } })
    expect(stored!.expiresAt).toBeGreaterThan(Date.now() + 29 * DAY)

    const later = await browser.get('/peek').expect(200)
    expect(view(later)).toMatchObject({ id: body.id, views: 1, maxAge: aboutMs(30 * DAY) })
  })

  it('an unmodified request touches without reading the session back; a changed cookie is compared', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, express)
    const browser = request.agent(url)
    const body = view(await browser.get('/count').expect(200))
    const touch = vi.spyOn(store.core, 'touch')
    // The cookie the request loaded is the one it touches with: expiry only, no patch to decode.
    expect(view(await browser.get('/peek').expect(200))).toMatchObject({ id: body.id, views: 1 })
    expect(touch).toHaveBeenCalledTimes(1)
    expect(touch.mock.calls[0]![1]?.patch).toBeUndefined()
    // The request changed its cookie: the stored one is read and compared.
    await browser.get('/remember').expect(200)
    expect(touch).toHaveBeenCalledTimes(2)
    expect(touch.mock.calls[1]![1]?.patch).toBeTypeOf('function')
    expect((await store.core.get(body.id))?.data).toMatchObject({
      views: 1,
      cookie: { originalMaxAge: aboutMs(30 * DAY) },
    })
  })

  it('leaves a valid record after 50 concurrent requests on one session', async () => {
    const store = await openStore()
    const { url } = await startApp(store, { cookie: { maxAge: 60_000 } }, express)
    const browser = request.agent(url)
    const body = view(await browser.get('/count').expect(200))

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => browser.get(i % 2 === 0 ? '/count' : '/peek')),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(new Set(responses.map((r) => view(r).id))).toEqual(new Set([body.id]))

    const stored = await store.core.get(body.id)
    expect(stored?.data.views).toBeGreaterThanOrEqual(2)
    expect(stored?.data.views).toBeLessThanOrEqual(26)
    expect(stored?.data.cookie).toMatchObject({ originalMaxAge: aboutMs(60_000), path: '/' })
    expect(await store.core.backend.verify!()).toEqual([])
    const next = await browser.get('/count').expect(200)
    expect(view(next).views).toBe((stored!.data.views ?? 0) + 1)
  })

  it("keeps each request's AsyncLocalStorage context across the store's callbacks", async () => {
    const store = await openStore()
    const als = new AsyncLocalStorage<string>()
    const app = express()
    const n = 20
    const waiting: (() => void)[] = []
    // A request-scoped context set before the session middleware, as loggers and tracers do.
    // Requests wait for each other, so that the store answers all of them in one turn.
    app.use((req, _res, next) =>
      als.run(`${req.query.n as string}`, () => {
        waiting.push(AsyncLocalStorage.bind(() => next()))
        if (waiting.length === n) for (const go of waiting.splice(0)) go()
      }),
    )
    app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }))
    app.get('/', (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1
      res.json({ n: req.query.n, seen: als.getStore() ?? null })
    })
    const { url } = await listen(createServer(app))
    const browsers = Array.from({ length: n }, () => request.agent(url))
    const all = () =>
      Promise.all(browsers.map((b, i) => b.get(`/?n=${i}`).then((res) => res.body as unknown)))
    const expected = browsers.map((_, i) => ({ n: String(i), seen: String(i) }))

    expect(await all()).toEqual(expected) // new sessions: get misses, sets
    const peek = vi.spyOn(store.core.backend, 'peek')
    expect(await all()).toEqual(expected) // cached sessions
    expect(peek).toHaveReturned()
    expect(peek.mock.results.every((r) => r.value !== undefined)).toBe(true)
    peek.mockReturnValue(undefined)
    expect(await all()).toEqual(expected) // reads from storage
  })

  it('a failing store read gives a 500, and the next request works', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, express)
    const browser = request.agent(app.url)
    await browser.get('/count').expect(200)

    // The cached copy would answer without a read: make this read go to storage.
    const peek = vi.spyOn(store.core.backend, 'peek').mockReturnValue(undefined)
    vi.spyOn(store.core.backend, 'load').mockRejectedValueOnce(new Error('disk unplugged'))
    await browser.get('/count').expect(500, { code: 'ERR_STORE_IO' })
    expect(app.errors).toHaveLength(1)
    peek.mockRestore()

    const res = await browser.get('/count').expect(200)
    expect(view(res).views).toBe(2)
  })

  it('a failing store write reaches next(err) and never hangs the response', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, express)
    const browser = request.agent(app.url)
    await browser.get('/count').expect(200)

    vi.spyOn(store.core.backend, 'update').mockRejectedValueOnce(new Error('disk full'))
    // express-session sends the response while it saves: it stays a 200, and the error still
    // reaches the app's error handler (which sees res.headersSent), on a later turn.
    await browser.get('/count').expect(200)
    await vi.waitFor(() => expect(app.errors).toHaveLength(1))
    expect(app.errors[0]).toMatchObject({ code: 'ERR_STORE_IO' })

    const res = await browser.get('/count').expect(200)
    expect(view(res).views).toBe(2)
  })

  it('saving before responding makes a failed sign-in write the response (README recipe)', async () => {
    const store = await openStore({ maxSessionBytes: 200 })
    const app = await startApp(store, {}, express)
    const browser = request.agent(app.url)
    await browser
      .post(`/login-saved?name=${'a'.repeat(150)}`)
      .expect(500, { code: 'ERR_SESSION_TOO_LARGE' })
    const ok = await browser.post('/login-saved?name=ann').expect(200)
    expect(view(ok).user).toBe('ann')
    expect(view(await browser.get('/peek').expect(200)).user).toBe('ann')
  })

  it('a closed store gives a 500 instead of hanging', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, express)
    const browser = request.agent(app.url)
    await browser.get('/count').expect(200)

    await store.close()
    await browser.get('/count').expect(500, { code: 'ERR_STORE_CLOSED' })
  })

  it('a request still running when its session is signed out everywhere does not bring it back', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, express)
    const [laptop, thief] = [request.agent(app.url), request.agent(app.url)]
    await laptop.post('/login?name=ann').expect(200)
    const stolen = laptop.jar.getCookie('connect.sid', {
      path: '/',
      domain: '127.0.0.1',
      secure: false,
      script: false,
    })!
    thief.jar.setCookie(stolen)
    // A slow request on the stolen cookie has loaded ann's session and changes it...
    const slow = thief.get('/gate?views=7').then((res) => res)
    await app.gate.reached
    // ...when ann signs out everywhere.
    expect(await store.destroyUser('ann')).toBe(1)
    app.gate.open()
    expect(view(await slow).user).toBe('ann') // it answered from what it had loaded
    // Its save did not write the session back: the cookie is signed out.
    expect(view(await thief.get('/peek')).user).toBeNull()
    expect(await store.core.listUser('ann')).toEqual([])
    expect(await store.core.count()).toBe(0)
  })

  it('destroyUser logs a user out of every browser except the current one', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, express)
    const [laptop, phone, tablet, other] = Array.from({ length: 4 }, () => request.agent(url))
    await laptop!.post('/login?name=ann').expect(200)
    await phone!.post('/login?name=ann').expect(200)
    await tablet!.post('/login?name=ann').expect(200)
    await other!.post('/login?name=bob').expect(200)

    await laptop!.post('/logout-others').expect(200, { removed: 2 })

    expect(view(await laptop!.get('/peek')).user).toBe('ann')
    expect(view(await phone!.get('/peek')).user).toBeNull()
    expect(view(await tablet!.get('/peek')).user).toBeNull()
    expect(view(await other!.get('/peek')).user).toBe('bob')
    expect(await store.core.listUser('ann')).toHaveLength(1)
  })
})
