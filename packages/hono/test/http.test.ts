/**
 * The middleware's behaviour, in-process through `app.request()`, on real classic-level
 * databases in temp directories.
 */
import { Hono } from 'hono'
import { serializeSigned } from 'hono/utils/cookie'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { createSessionStore, generateSessionId, type Session, session } from '../src/index.js'
import {
  Client,
  type Data,
  failingStore,
  idOf,
  makeApp,
  manualClock,
  SECRET,
  tempDir,
} from './helpers.js'

const DAY = 86_400_000

describe('counter and cookie', () => {
  it('counts visits under one id, in a signed HttpOnly SameSite=Lax cookie', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const first = await c.view('/')
    expect(first).toMatchObject({ views: 1, isNew: true })
    const cookie = c.setCookie!
    expect(cookie).toMatch(/^sid=[\w-]{32}\.[A-Za-z0-9%]+; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(idOf(c.cookie)).toBe(first.id)
    const second = await c.view('/')
    expect(second).toMatchObject({ id: first.id, views: 2, isNew: false })
    expect((await store.get(first.id))!.data).toEqual({ views: 2 })
  })

  it("works under an app test's fake timers, and vi.setSystemTime expires the session", async () => {
    const { client, store } = await makeApp()
    vi.useFakeTimers({ now: Date.now() })
    onTestFinished(() => void vi.useRealTimers())
    const c = client()
    const first = await c.view('/')
    expect(await c.view('/')).toMatchObject({ id: first.id, views: 2 })
    vi.setSystemTime(Date.now() + store.options.maxAge + 1000)
    const after = await c.view('/')
    expect(after).toMatchObject({ views: 1, isNew: true })
    expect(await store.get(first.id)).toBeUndefined()
  })

  it('writes nothing and sends no cookie for a visitor whose session stays untouched', async () => {
    const { client, store } = await makeApp()
    const c = client()
    await c.request('/peek')
    expect(c.setCookie).toBeNull()
    const read = await c.view('/read')
    expect(read).toMatchObject({ isNew: true, views: null })
    expect(c.setCookie).toBeNull()
    expect(await store.count()).toBe(0)
  })

  it("a read keeps a browser-session cookie's session alive: its expiry moves, lazily", async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({ now: clock.now, maxAge: 10_000 })
    const c = client()
    const { id } = await c.view('/')
    // A reader every 8 s of a 10 s idle timeout stays signed in; no cookie is sent.
    for (let i = 0; i < 4; i++) {
      clock.advance(8000)
      expect((await c.view('/read')).views).toBe(1)
      expect(c.setCookie).toBeNull()
      expect((await store.get(id))!.expiresAt).toBe(clock.now() + 10_000)
    }
    // Within touchAfter (a tenth of maxAge) the touch writes nothing.
    clock.advance(500)
    await c.view('/read')
    expect((await store.get(id))!.expiresAt).toBe(clock.now() - 500 + 10_000)
  })

  it('a read writes nothing for a persistent cookie, or with fixed expiry', async () => {
    for (const options of [{ cookie: { maxAge: 10_000 } }, { expiry: 'fixed' as const }]) {
      const clock = manualClock()
      const { client, store } = await makeApp({ now: clock.now, ...options })
      const c = client()
      const { id } = await c.view('/')
      const before = await store.get(id)
      clock.advance(5000)
      await c.view('/read')
      expect(c.setCookie).toBeNull()
      expect((await store.get(id))!.expiresAt).toBe(before!.expiresAt)
    }
  })

  it('a read of a session deleted meanwhile clears its cookie', async () => {
    const { client, store } = await makeApp()
    const c = client()
    await c.view('/')
    // Signed out everywhere after this request loaded the session, before its touch.
    const touch = store.touch.bind(store)
    vi.spyOn(store, 'touch').mockImplementation(async (id, options) => {
      await store.destroy(id)
      return touch(id, options)
    })
    expect((await c.view('/read')).views).toBe(1)
    expect(c.setCookie).toMatch(/^sid=; Max-Age=0;/)
    expect(await store.count()).toBe(0)
  })

  it('notices objects changed in place', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const { id } = await c.view('/push')
    await c.view('/push')
    await c.view('/push')
    expect((await store.get(id))!.data).toEqual({ list: [1, 2, 3] })
  })

  it('marks the cookie Secure on HTTPS, and behind a trusted proxy only', async () => {
    const plain = await makeApp()
    const cookieOf = async (res: Response | Promise<Response>) =>
      (await res).headers.get('set-cookie')
    expect(await cookieOf(plain.app.request('https://example.com/'))).toMatch(/; Secure/)
    const forwarded = { headers: { 'x-forwarded-proto': 'https' } }
    expect(await cookieOf(plain.app.request('http://example.com/', forwarded))).not.toMatch(
      /Secure/,
    )
    const proxied = await makeApp({ trustProxy: true })
    expect(await cookieOf(proxied.app.request('http://example.com/', forwarded))).toMatch(
      /; Secure/,
    )
  })

  it('takes the cookie name, path, domain, sameSite and secure from options', async () => {
    const { client } = await makeApp({
      cookie: {
        name: 'app.sid',
        path: '/',
        domain: 'example.com',
        sameSite: 'strict',
        secure: true,
      },
    })
    const c = client()
    await c.view('/')
    expect(c.setCookie).toMatch(
      /^app\.sid=[^;]+; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    )
    expect((await c.view('/')).views).toBe(2)
  })

  it('a __Host- or __Secure- name makes the cookie Secure, even over plain HTTP', async () => {
    for (const name of ['__Host-sid', '__Secure-sid']) {
      const { client } = await makeApp({ cookie: { name } })
      const c = client()
      await c.view('/')
      expect(c.setCookie).toMatch(new RegExp(`^${name}=[^;]+; Path=/; HttpOnly; Secure;`))
      expect((await c.view('/')).views).toBe(2)
      await c.post('/logout')
      expect(c.setCookie).toMatch(new RegExp(`^${name}=; Max-Age=0; Path=/; HttpOnly; Secure;`))
    }
  })

  it('converts cookie.maxAge from ms to seconds, and stores the session for that long', async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({ now: clock.now, cookie: { maxAge: 90_500 } })
    const c = client()
    const { id } = await c.view('/')
    expect(c.setCookie).toMatch(/; Max-Age=91;/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 90_500)
  })

  it('caps the cookie at 400 days but keeps the longer TTL in the store', async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({ now: clock.now, cookie: { maxAge: 500 * DAY } })
    const c = client()
    const { id } = await c.view('/')
    expect(c.setCookie).toMatch(/; Max-Age=34560000;/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 500 * DAY)
  })

  it("stores a browser-session cookie's session for the store's maxAge", async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({ now: clock.now, maxAge: 3_600_000 })
    const c = client()
    const { id } = await c.view('/')
    expect(c.setCookie).not.toMatch(/Max-Age|Expires/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 3_600_000)
  })
})

describe('signed cookie', () => {
  const flip = (text: string, at: number) =>
    text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1)

  async function signed(id: string, secret: string): Promise<string> {
    return (await serializeSigned('sid', id, secret)).split(';')[0]!
  }

  it('starts a new session under a new id when the cookie was tampered with', async () => {
    const { client, store } = await makeApp()
    const victim = client()
    const { id } = await victim.view('/')
    const [, value] = victim.cookie!.split('=')
    const decoded = decodeURIComponent(value!)
    const other = generateSessionId()
    const attacker = client()
    for (const forged of [
      `sid=${encodeURIComponent(other + decoded.slice(id.length))}`, // another id, old signature
      `sid=${encodeURIComponent(flip(decoded, id.length + 10))}`, // signature changed
      `sid=${id}`, // unsigned
      await signed(id, 'not the secret'),
    ]) {
      const view = await attacker.view('/', { headers: { cookie: forged } })
      expect(view).toMatchObject({ isNew: true, views: 1 })
      expect(view.id).not.toBe(id)
      expect(view.id).not.toBe(other)
    }
    expect((await store.get(id))!.data).toEqual({ views: 1 })
  })

  it('never adopts a validly signed id that the store does not know', async () => {
    const { client, store } = await makeApp()
    const planted = generateSessionId()
    const c = client()
    const view = await c.view('/', { headers: { cookie: await signed(planted, SECRET) } })
    expect(view.isNew).toBe(true)
    expect(view.id).not.toBe(planted)
    expect(await store.get(planted)).toBeUndefined()
  })

  it('ignores ids that are not well formed, even when signed', async () => {
    const { client } = await makeApp()
    const view = await client().view('/', {
      headers: { cookie: await signed('x'.repeat(300), SECRET) },
    })
    expect(view).toMatchObject({ isNew: true, views: 1 })
  })

  /** A session made under 'old secret', and an app on its database that signs with 'new secret'. */
  async function rotatedSecrets() {
    const dir = await tempDir()
    const old = await makeApp({ path: dir, secret: 'old secret', cleanupInterval: 0 })
    const c = old.client()
    const { id } = await c.view('/')
    await old.middleware.close()
    const rotated = await makeApp({
      path: dir,
      secret: ['new secret', 'old secret'],
      cleanupInterval: 0,
    })
    return { dir, id, c, rotated }
  }

  it('a read signs a cookie again when an older secret signed it, so that secret can retire', async () => {
    const { id, c, rotated } = await rotatedSecrets()
    const reader = new Client((path, init) => rotated.app.request(path, init))
    reader.cookie = c.cookie
    const res = await reader.request('/read')
    expect(await res.json()).toMatchObject({ id, views: 1 })
    expect(reader.cookie).toBe(await signed(id, 'new secret'))
    // Signed with the first secret already: a read sends no cookie.
    expect((await reader.request('/read')).headers.get('set-cookie')).toBeNull()
    await rotated.middleware.close()
  })

  it('rotates secrets: signs with the first, accepts any', async () => {
    const { dir, id, c, rotated } = await rotatedSecrets()
    const r = new Client((path, init) => rotated.app.request(path, init))
    r.cookie = c.cookie
    expect(await r.view('/')).toMatchObject({ id, views: 2 })
    expect(r.cookie).not.toBe(c.cookie)
    expect(r.cookie).toBe(await signed(id, 'new secret'))
    await rotated.middleware.close()

    const retired = await makeApp({ path: dir, secret: 'new secret', cleanupInterval: 0 })
    const n = new Client((path, init) => retired.app.request(path, init))
    n.cookie = c.cookie // still signed with the retired secret only
    expect(await n.view('/')).toMatchObject({ isNew: true, views: 1 })
    n.cookie = r.cookie
    expect(await n.view('/')).toMatchObject({ id, views: 3 })
  })
})

describe('rolling and renew', () => {
  it('rolling: every response moves the expiry and resends the cookie', async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({
      now: clock.now,
      rolling: true,
      cookie: { maxAge: 10_000 },
    })
    const c = client()
    const { id } = await c.view('/')
    clock.advance(4000)
    await c.view('/read')
    expect(c.setCookie).toMatch(/Max-Age=10;/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 10_000)
    clock.advance(9000) // past the first expiry: alive only because of the roll
    expect(await c.view('/read')).toMatchObject({ id, views: 1 })
  })

  it('rolling never brings back a session deleted meanwhile, and clears its cookie', async () => {
    const { client, store } = await makeApp({ rolling: true })
    const c = client()
    const { id } = await c.view('/')
    const app = new Hono()
    // The session is loaded, then deleted by another request while this one runs.
    const middleware = session({ store, secret: SECRET, rolling: true })
    app.use(middleware)
    app.get('/slow', async (ctx) => {
      await store.destroy(id)
      return ctx.text(ctx.get('session').id)
    })
    const res = await app.request('/slow', { headers: { cookie: c.cookie! } })
    expect(await res.text()).toBe(id)
    expect(res.headers.get('set-cookie')).toMatch(/^sid=; Max-Age=0; Path=\//)
    expect(await store.get(id)).toBeUndefined()
  })

  it('renew: writes only once less than half of the lifetime is left', async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({
      now: clock.now,
      renew: true,
      cookie: { maxAge: 10_000 },
    })
    const c = client()
    const { id } = await c.view('/')
    const created = (await store.get(id))!.expiresAt
    clock.advance(4000) // 6 s left of 10
    await c.view('/read')
    expect(c.setCookie).toBeNull()
    expect((await store.get(id))!.expiresAt).toBe(created)
    clock.advance(2000) // 4 s left
    await c.view('/read')
    expect(c.setCookie).toMatch(/Max-Age=10;/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 10_000)
  })

  it('touch() keeps an unchanged session alive without rolling', async () => {
    const clock = manualClock()
    const { client, store } = await makeApp({ now: clock.now, cookie: { maxAge: 10_000 } })
    const c = client()
    const { id } = await c.view('/')
    clock.advance(5000)
    await c.view('/touch')
    expect(c.setCookie).toMatch(/Max-Age=10;/)
    expect((await store.get(id))!.expiresAt).toBe(clock.now() + 10_000)
  })
})

describe('regenerate, destroy, clear, flash, expiry', () => {
  it('regenerate: a new id, the data kept, the old record gone, the old cookie worthless', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const before = await c.view('/')
    const oldCookie = c.cookie!
    const after = await c.post('/login?user=ann')
    expect(after.id).not.toBe(before.id)
    expect(idOf(c.cookie)).toBe(after.id)
    expect(await store.get(before.id)).toBeUndefined()
    expect((await store.get(after.id))!.data).toEqual({ views: 1, user: 'ann' })
    const replay = await client().view('/read', { headers: { cookie: oldCookie } })
    expect(replay).toMatchObject({ isNew: true, views: null, user: null })
    expect(await c.view('/')).toMatchObject({ id: after.id, views: 2, user: 'ann' })
  })

  it('keys are own data only: inherited names read as absent, and __proto__ is a plain key', async () => {
    const { app, client, store } = await makeApp()
    // Keys from the request, as an app might take them from a form.
    app.get('/kv', (ctx) => {
      const s = ctx.get('session') as unknown as Session<Record<string, unknown>>
      const key = ctx.req.query('key')!
      const value = ctx.req.query('value')
      if (value !== undefined) s.set(key, { value })
      return ctx.json({
        got: s.get(key) ?? null,
        has: s.has(key),
        isAdmin: s.get('isAdmin') ?? null,
      })
    })
    app.get('/del', (ctx) => ctx.json(ctx.get('session').delete('toString' as never)))
    const c = client()
    for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(await (await c.request(`/kv?key=${key}`)).json()).toEqual({
        got: null,
        has: false,
        isAdmin: null,
      })
    }
    expect(await (await c.request('/del')).json()).toBe(false)
    const put = await c.request('/kv?key=__proto__&value=yes')
    expect(await put.json()).toEqual({ got: { value: 'yes' }, has: true, isAdmin: null })
    expect(await (await c.request('/kv?key=__proto__')).json()).toEqual({
      got: { value: 'yes' },
      has: true,
      isAdmin: null,
    })
    const stored = (await store.get(idOf(c.cookie)!))!.data as unknown as Record<string, unknown>
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype)
    expect(Object.hasOwn(stored, '__proto__')).toBe(true)
  })

  it('regenerate saves even a new, empty session', async () => {
    const { app, store } = await makeApp()
    app.post('/fresh', async (ctx) => {
      await ctx.get('session').regenerate()
      return ctx.text(ctx.get('session').id)
    })
    const res = await app.request('/fresh', { method: 'POST' })
    const id = await res.text()
    expect(res.headers.get('set-cookie')).toMatch(/^sid=/)
    expect((await store.get(id))!.data).toEqual({})
  })

  it('destroy: the record gone, the cookie cleared, the next request anonymous', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const { id } = await c.view('/')
    const oldCookie = c.cookie!
    const out = await c.post('/logout')
    expect(out).toMatchObject({ isNew: true, views: null })
    expect(out.id).not.toBe(id)
    expect(c.setCookie).toMatch(/^sid=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(c.cookie).toBeUndefined()
    expect(await store.get(id)).toBeUndefined()
    expect(await store.count()).toBe(0)
    expect(await client().view('/read', { headers: { cookie: oldCookie } })).toMatchObject({
      isNew: true,
      views: null,
    })
    // destroy is idempotent: a new session destroyed writes nothing and fails nothing.
    await c.post('/logout')
    expect(await store.count()).toBe(0)
  })

  it('a session written to after destroy is saved under a new id', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const { id } = await c.view('/')
    const out = await c.post('/logout-then-write')
    expect(out.id).not.toBe(id)
    expect(idOf(c.cookie)).toBe(out.id)
    expect(await store.get(id)).toBeUndefined()
    expect((await store.get(out.id))!.data).toEqual({ views: 100 })
  })

  it('clear empties the data and keeps the session', async () => {
    const { client, store } = await makeApp()
    const c = client()
    const { id } = await c.view('/')
    expect(await c.view('/clear')).toMatchObject({ id, views: null })
    expect((await store.get(id))!.data).toEqual({})
  })

  it('flash: a value read once', async () => {
    const { client } = await makeApp()
    const c = client()
    await c.post('/flash?message=saved')
    expect(await c.view('/flash')).toMatchObject({ flash: 'saved' })
    expect(await c.view('/flash')).toMatchObject({ flash: null })
  })

  it('an expired session is no session: a new id, the data gone', async () => {
    const clock = manualClock()
    const { client } = await makeApp({ now: clock.now, cookie: { maxAge: 10_000 } })
    const c = client()
    const first = await c.view('/')
    await c.view('/')
    clock.advance(10_000)
    const after = await c.view('/')
    expect(after).toMatchObject({ isNew: true, views: 1 })
    expect(after.id).not.toBe(first.id)
  })

  it('a failing handler still has its session saved (as koa-session does)', async () => {
    const { client, errors, store } = await makeApp()
    const c = client()
    const res = await c.request('/throw')
    expect(res.status).toBe(500)
    expect(errors.map((e) => e.message)).toEqual(['handler failed'])
    expect((await store.get(idOf(c.cookie)!))!.data).toEqual({ views: -1 })
  })
})

describe('store failures', () => {
  it('a failed write is a 500 through onError, and the next request works', async () => {
    const dir = await tempDir()
    const real = createSessionStore<Data>({ path: dir, cleanupInterval: 0 })
    const { store, plan } = failingStore(real)
    const { client, errors } = await makeApp({ store })
    const c = client()
    await c.view('/')
    plan.failing = 1
    const res = await c.request('/')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'ERR_STORE_IO' })
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(errors).toHaveLength(1)
    expect(await c.view('/')).toMatchObject({ views: 2 })
    await real.close()
  })

  it('a failed save after regenerate leaves no session under the new id', async () => {
    const real = createSessionStore<Data>({
      path: await tempDir(),
      cleanupInterval: 0,
      userId: (d) => d.user,
    })
    const { store, plan } = failingStore(real)
    const { client, gate } = await makeApp({ store })
    const c = client()
    await c.post('/login?user=ann')
    const slow = c.request('/gate?views=7&rotate')
    await gate.reached
    plan.failing = 1 // the end-of-request save
    gate.open()
    const res = await slow
    expect(res.status).toBe(500)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(await real.listUser('ann')).toEqual([])
    expect(await real.count()).toBe(0)
    await real.close()
  })

  it('a failed read is a 500 through onError, and the next request works', async () => {
    const dir = await tempDir()
    const real = createSessionStore<Data>({ path: dir, cleanupInterval: 0 })
    const { store, plan } = failingStore(real)
    const { client, errors } = await makeApp({ store })
    const c = client()
    await c.view('/')
    Object.assign(plan, { method: 'get', failing: 1 })
    expect((await c.request('/read')).status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(await c.view('/')).toMatchObject({ views: 2 })
    await real.close()
  })

  it('a failed destroy inside a handler reaches onError too', async () => {
    const dir = await tempDir()
    const real = createSessionStore<Data>({ path: dir, cleanupInterval: 0 })
    const { store, plan } = failingStore(real)
    const { client, errors } = await makeApp({ store })
    const c = client()
    const { id } = await c.view('/')
    Object.assign(plan, { method: 'destroy', failing: 1 })
    expect((await c.request('/logout', { method: 'POST' })).status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(await store.get(id)).toBeDefined()
    await c.post('/logout')
    expect(await store.get(id)).toBeUndefined()
    await real.close()
  })

  it('a closed store fails requests that need it, with ERR_STORE_CLOSED', async () => {
    const { client, middleware } = await makeApp()
    const c = client()
    await c.view('/')
    await middleware.close()
    const res = await c.request('/read')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'ERR_STORE_CLOSED' })
    // A visitor without a cookie who writes nothing never touches the store.
    expect((await client().request('/peek')).status).toBe(200)
  })
})

describe('user index', () => {
  it('destroyUser signs a user out of every browser', async () => {
    const { client, store } = await makeApp()
    const laptop = client()
    const phone = client()
    const other = client()
    await laptop.post('/login?user=ann')
    await phone.post('/login?user=ann')
    await other.post('/login?user=bob')
    expect(await store.listUser('ann')).toHaveLength(2)
    const out = await laptop.post('/logout-everywhere')
    expect(out).toMatchObject({ removed: 2, user: null })
    expect(await phone.view('/read')).toMatchObject({ isNew: true, user: null })
    expect(await other.view('/read')).toMatchObject({ isNew: false, user: 'bob' })
    expect(await store.listUser('ann')).toEqual([])
  })

  /**
   * Ann signs in; a slow request on her stolen cookie loads her session and reaches the gate at
   * `path`; she signs out everywhere; the gate opens. Resolves to that request's response.
   */
  async function signedOutDuring(path: string) {
    const { client, store, gate } = await makeApp()
    const laptop = client()
    await laptop.post('/login?user=ann')
    const thief = client()
    thief.cookie = laptop.cookie
    const slow = thief.request(path)
    await gate.reached
    expect(await store.destroyUser('ann')).toBe(1)
    gate.open()
    return { res: await slow, store }
  }

  it('a request still running when its session is signed out everywhere does not bring it back', async () => {
    const { res, store } = await signedOutDuring('/gate?views=7')
    // It answered from what it had loaded, but its save wrote nothing and cleared the cookie.
    expect(await res.json()).toMatchObject({ user: 'ann', views: 7 })
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/i)
    expect(await store.listUser('ann')).toEqual([])
    expect(await store.count()).toBe(0)
  })

  it('regenerate after a sign-out everywhere carries nothing to the new id', async () => {
    const { res, store } = await signedOutDuring('/gate?views=7&regenerate')
    // The handler goes on with an empty session, and nothing is written.
    expect(await res.json()).toMatchObject({ user: null, views: null, isNew: true })
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/i)
    expect(await store.listUser('ann')).toEqual([])
    expect(await store.count()).toBe(0)
  })

  it('a session regenerated before a sign-out everywhere stays signed out', async () => {
    // The new id holds the session from regenerate() on, so destroyUser finds it there.
    const { res, store } = await signedOutDuring('/gate?views=7&rotate')
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/i)
    expect(await store.listUser('ann')).toEqual([])
    expect(await store.count()).toBe(0)
  })

  it('regenerate of a session that expired during the request starts empty, swept or not', async () => {
    for (const swept of [false, true]) {
      const clock = manualClock()
      const { client, store, gate } = await makeApp({ now: clock.now, cookie: { maxAge: 60_000 } })
      const c = client()
      await c.post('/login?user=ann')
      const slow = c.request('/gate?views=7&regenerate')
      await gate.reached
      clock.advance(60_000)
      if (swept) await store.prune()
      gate.open()
      const res = await slow
      expect(await res.json(), `swept: ${swept}`).toMatchObject({ user: null, isNew: true })
      expect(await store.listUser('ann')).toEqual([])
    }
  })
})
