/**
 * koa-session on LevelSessionStore, over real HTTP, on Koa 3 and Koa 2.
 */
import request from 'supertest'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import {
  cookieValue,
  KOA_VERSIONS,
  manualClock,
  openStore,
  sessionCookie,
  startApp,
  view,
} from './helpers.js'

// koa-session passes its maxAge plus this margin ("ensure store expired after cookie"); the store
// keeps the session's own maxAge, which its `_maxAge` tells.
const MARGIN = 10_000

describe.each(KOA_VERSIONS)('$name', ({ Koa }) => {
  it('counts visits across requests and stores koa-session fields unchanged', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    const { url } = await startApp(store, { maxAge: 60_000 }, Koa)
    const browser = request.agent(url)

    const first = view(await browser.get('/count').expect(200))
    expect(first).toMatchObject({ views: 1, isNew: true })
    await browser.get('/count').expect(200, { ...first, views: 2, isNew: false })
    await browser.get('/count').expect(200, { ...first, views: 3, isNew: false })

    const stored = await store.core.get(first.key!)
    expect(stored?.data).toEqual({
      views: 3,
      _expire: expect.any(Number) as unknown,
      _maxAge: 60_000,
    })
    expect(stored!.data._expire).toBeGreaterThan(Date.now() + 50_000)
    expect(stored!.expiresAt).toBe(clock.now() + 60_000)
  })

  it("works under an app test's fake timers, and vi.setSystemTime expires the session", async () => {
    const store = await openStore()
    const { url } = await startApp(store, { maxAge: 60_000 }, Koa)
    vi.useFakeTimers({ now: Date.now() })
    onTestFinished(() => void vi.useRealTimers())
    const browser = request.agent(url)
    const first = view(await browser.get('/count').expect(200))
    expect(view(await browser.get('/count').expect(200))).toMatchObject({ views: 2 })
    // Past the store's expiry (koa-session's maxAge plus its margin), on the faked clock only.
    vi.setSystemTime(Date.now() + 60_000 + MARGIN + 1000)
    expect(view(await browser.get('/count').expect(200))).toMatchObject({ views: 1, isNew: true })
    expect(await store.core.get(first.key!)).toBeUndefined()
  })

  it('writes nothing for a visitor whose session stays empty', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, Koa)
    const res = await request(url).get('/peek').expect(200)
    expect(sessionCookie(res)).toBeUndefined()
    expect(await store.core.count()).toBe(0)
  })

  it("maxAge 'session': a browser-session cookie, stored for the store's maxAge", async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now, maxAge: 3_600_000 })
    const { url } = await startApp(store, { maxAge: 'session' }, Koa)
    const browser = request.agent(url)

    const res = await browser.get('/count').expect(200)
    expect(sessionCookie(res)).not.toMatch(/expires=/i)
    const { key } = view(res)
    const stored = await store.core.get(key!)
    expect(stored?.data).toEqual({ views: 1, _session: true })
    expect(stored!.expiresAt).toBe(clock.now() + 3_600_000)

    // koa-session restores 'session' from `_session`: the next cookie is a browser-session one too.
    const again = await browser.get('/count').expect(200)
    expect(view(again)).toMatchObject({ key, views: 2 })
    expect(sessionCookie(again)).not.toMatch(/expires=/i)
  })

  it('rolling: an unchanged request still writes, pushing the expiry', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    const { url } = await startApp(store, { rolling: true }, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))
    const set = vi.spyOn(store, 'set')

    clock.advance(5_000)
    const res = await browser.get('/peek').expect(200)
    expect(sessionCookie(res)).toBeDefined()
    expect(set).toHaveBeenCalledWith(
      key,
      expect.anything(),
      60_000 + MARGIN,
      expect.objectContaining({ changed: false, rolling: true }),
    )
    expect((await store.core.get(key!))!.expiresAt).toBe(clock.now() + 60_000)
  })

  it('without rolling, an unchanged request writes nothing', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    const { url } = await startApp(store, {}, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))
    const before = (await store.core.get(key!))!.expiresAt
    const set = vi.spyOn(store, 'set')

    clock.advance(5_000)
    expect(sessionCookie(await browser.get('/peek').expect(200))).toBeUndefined()
    expect(set).not.toHaveBeenCalled()
    expect((await store.core.get(key!))!.expiresAt).toBe(before)
  })

  it('renew: a session in the second half of its life is saved again, unchanged', async () => {
    const store = await openStore()
    const { url } = await startApp(store, { renew: true }, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))
    // Age the session: koa-session renews once less than half of maxAge is left.
    const { data } = (await store.core.get(key!))!
    await store.core.set(key!, { ...data, _expire: Date.now() + 20_000 })
    const set = vi.spyOn(store, 'set')

    const res = await browser.get('/peek').expect(200)
    expect(sessionCookie(res)).toBeDefined()
    expect(set).toHaveBeenCalledWith(
      key,
      expect.anything(),
      60_000 + MARGIN,
      expect.objectContaining({ changed: false }),
    )
    const renewed = (await store.core.get(key!))!.data
    expect(renewed).toMatchObject({ views: 1, _maxAge: 60_000 })
    expect(renewed._expire).toBeGreaterThan(Date.now() + 50_000)
  })

  it('ctx.session = null destroys the stored session and clears the cookie', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))

    const res = await browser.post('/logout').expect(200)
    expect(sessionCookie(res)).toMatch(/^koa\.sess=;/)
    expect(await store.core.get(key!)).toBeUndefined()
    const after = view(await browser.get('/peek').expect(200))
    expect(after).toMatchObject({ views: null, isNew: true })
    expect(after.key).not.toBe(key)

    // A visitor who never had a session: destroy of a key never written is fine.
    await request(url).post('/logout').expect(200)
  })

  it('regenerate() keeps the user signed in under a new key; the old key is gone', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, Koa)
    const browser = request.agent(url)
    const first = await browser.get('/count').expect(200)
    const oldKey = view(first).key!
    const oldCookie = sessionCookie(first)!.split(';')[0]!
    const set = vi.spyOn(store, 'set')

    const res = await browser.post('/login?name=ann').expect(200)
    // ctx.session.externalKey keeps the old key until the next request: read the cookie.
    const login = { ...view(res), key: cookieValue(res) }
    expect(login.key).toMatch(/^[0-9a-f-]{36}$/)
    expect(login.key).not.toBe(oldKey)
    expect(login).toMatchObject({ user: 'ann', views: 1 })
    expect(set.mock.calls[0]).toEqual([
      login.key,
      { views: 1, _expire: expect.any(Number) as unknown, _maxAge: 60_000 },
      60_000 + MARGIN,
      expect.objectContaining({ changed: false }),
    ])
    expect(await store.core.get(oldKey)).toBeUndefined()
    expect((await store.core.get(login.key!))?.data).toMatchObject({ user: 'ann', views: 1 })

    await browser.get('/peek').expect(200, { ...login, isNew: false })
    // Replaying the old cookie finds nothing and starts over under yet another key.
    const replay = view(await request(url).get('/peek').set('cookie', oldCookie).expect(200))
    expect(replay).toMatchObject({ user: null, views: null, isNew: true })
    expect([oldKey, login.key]).not.toContain(replay.key)
  })

  it('a session past its store expiry starts fresh under a new key', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    const { url } = await startApp(store, {}, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))

    clock.advance(60_000 + MARGIN)
    const after = view(await browser.get('/count').expect(200))
    expect(after).toMatchObject({ views: 1, isNew: true })
    expect(after.key).not.toBe(key)
    expect(await store.core.get(key!)).toBeUndefined()
  })

  it('fixed expiry ends the session at its maxAge, rolling or not', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now, expiry: 'fixed' })
    const { url } = await startApp(store, { rolling: true }, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))
    clock.advance(59_000)
    expect(view(await browser.get('/count').expect(200))).toMatchObject({ key, views: 2 })
    clock.advance(1_000)
    const after = view(await browser.get('/count').expect(200))
    expect(after).toMatchObject({ views: 1, isNew: true })
    expect(after.key).not.toBe(key)
  })

  it('a session past its koa-session _expire starts fresh under a new key', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, Koa)
    const browser = request.agent(url)
    const { key } = view(await browser.get('/count').expect(200))
    const { data } = (await store.core.get(key!))!
    await store.core.set(key!, { ...data, _expire: Date.now() - 1 })

    const after = view(await browser.get('/count').expect(200))
    expect(after).toMatchObject({ views: 1, isNew: true })
    expect(after.key).not.toBe(key)
  })

  it('a failing read gives 500, and the next request works', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, Koa)
    const browser = request.agent(app.url)
    const { key } = view(await browser.get('/count').expect(200))

    // The cached copy would answer without a read: make this read go to storage.
    vi.spyOn(store.core.backend, 'peek').mockReturnValueOnce(undefined)
    vi.spyOn(store.core.backend, 'load').mockRejectedValueOnce(new Error('disk on fire'))
    await browser.get('/count').expect(500)
    expect(app.errors).toEqual([expect.objectContaining({ code: 'ERR_STORE_IO' })])
    await browser.get('/count').expect(200, { key, views: 2, user: null, isNew: false })
  })

  it('a failing write gives 500, and the next request works', async () => {
    const store = await openStore()
    const app = await startApp(store, {}, Koa)
    const browser = request.agent(app.url)
    const { key } = view(await browser.get('/count').expect(200))

    vi.spyOn(store.core.backend, 'update').mockRejectedValueOnce(new Error('disk full'))
    await browser.get('/count').expect(500)
    expect(app.errors).toEqual([expect.objectContaining({ code: 'ERR_STORE_IO' })])
    await browser.get('/count').expect(200, { key, views: 2, user: null, isNew: false })
  })

  /**
   * Ann signs in; a slow request on her stolen cookies loads her session and reaches the gate at
   * `path`; she signs out everywhere; the gate opens. Resolves once that request has ended.
   */
  async function signedOutDuring(path: string) {
    const store = await openStore()
    const app = await startApp(store, {}, Koa)
    const login = await request(app.url).post('/login?name=ann').expect(200)
    const stolen = (login.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .join('; ')
    const slow = request(app.url)
      .get(path)
      .set('cookie', stolen)
      .then((res) => res)
    await app.gate.reached
    expect(await store.destroyUser('ann')).toBe(1)
    app.gate.open()
    return { res: await slow, store, url: app.url, stolen }
  }

  it('a request still running when its session is signed out everywhere does not bring it back', async () => {
    const { res, store, url, stolen } = await signedOutDuring('/gate?views=7')
    expect(view(res)).toMatchObject({ user: 'ann', views: 7 })
    // Its save did not write the session back: the cookie is signed out.
    const after = view(await request(url).get('/peek').set('cookie', stolen).expect(200))
    expect(after).toMatchObject({ user: null, isNew: true })
    expect(await store.core.listUser('ann')).toEqual([])
    expect(await store.core.count()).toBe(0)
  })

  it('regenerate after a sign-out everywhere carries nothing to the new key', async () => {
    const { res, store } = await signedOutDuring('/gate?views=7&regenerate')
    expect(res.status).toBe(200)
    expect(await store.core.listUser('ann')).toEqual([])
    // At most the empty session regenerate saves: none of ann's data.
    for await (const record of store.core.entries()) expect(record.data).not.toHaveProperty('user')
  })

  it('regenerate of a session that expired during the request carries nothing, swept or not', async () => {
    for (const swept of [false, true]) {
      const clock = manualClock()
      const store = await openStore({ now: clock.now })
      const app = await startApp(store, {}, Koa)
      const login = await request(app.url).post('/login?name=ann').expect(200)
      const cookie = (login.headers['set-cookie'] as unknown as string[])
        .map((c) => c.split(';')[0])
        .join('; ')
      const slow = request(app.url).get('/gate?views=7&regenerate').set('cookie', cookie)
      const done = slow.then((res) => res)
      await app.gate.reached
      // Past the store's expiry (the sign-in asked for a day); koa-session's own check of
      // `_expire` runs on the real clock and passed at load.
      clock.advance(2 * 86_400_000)
      if (swept) await store.core.prune()
      app.gate.open()
      expect((await done).status).toBe(200)
      expect(await store.core.listUser('ann'), `swept: ${swept}`).toEqual([])
      for await (const record of store.core.entries()) {
        expect(record.data, `swept: ${swept}`).not.toHaveProperty('user')
      }
    }
  })

  it('a change after regenerate does not bring back the new key signed out everywhere meanwhile', async () => {
    // regenerate() commits at once, under a new key this request did not load.
    const { res, store } = await signedOutDuring('/gate?views=7&rotate&later=8')
    expect(res.status).toBe(200)
    expect(await store.core.listUser('ann')).toEqual([])
    expect(await store.core.count()).toBe(0)
  })

  it('a sign-in after regenerate still works when the old session was gone (a double submit)', async () => {
    const { res, store } = await signedOutDuring('/gate?views=7&regenerate&user=bob')
    const key = cookieValue(res)!
    const saved = await store.core.get(key)
    expect(saved?.data).toMatchObject({ user: 'bob' })
    expect(saved?.data).not.toHaveProperty('views')
    expect(await store.core.listUser('ann')).toEqual([])
  })

  it('destroyUser signs a user out of other browsers, or of every browser', async () => {
    const store = await openStore()
    const { url } = await startApp(store, {}, Koa)
    const [laptop, phone, tablet, bob] = [1, 2, 3, 4].map(() => request.agent(url))
    for (const browser of [laptop!, phone!, tablet!])
      await browser.post('/login?name=ann').expect(200)
    await bob!.post('/login?name=bob').expect(200)
    expect(await store.core.listUser('ann')).toHaveLength(3)

    await laptop!.post('/logout-others').expect(200, { removed: 2 })
    expect(view(await laptop!.get('/peek'))).toMatchObject({ user: 'ann' })
    expect(view(await phone!.get('/peek'))).toMatchObject({ user: null, isNew: true })

    await tablet!.post('/login?name=ann').expect(200)
    await laptop!.post('/logout-everywhere').expect(200, { removed: 2 })
    expect(view(await laptop!.get('/peek'))).toMatchObject({ user: null })
    expect(view(await tablet!.get('/peek'))).toMatchObject({ user: null })
    expect(await store.core.listUser('ann')).toEqual([])
    expect(view(await bob!.get('/peek'))).toMatchObject({ user: 'bob' })
  })
})
