/**
 * Expiry over HTTP with a hand-moved clock in the core store: sliding, fixed, `maxLifetime`,
 * lazy touch, and each session's TTL coming from its own cookie.
 */
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LevelSessionStore } from '../src/index.js'
import { EXPRESS_VERSIONS, manualClock, openStore, startApp, view } from './helpers.js'

const SECOND = 1000
const HOUR = 3_600_000

describe.each(EXPRESS_VERSIONS)('$name', ({ express }) => {
  // Browser-session cookies (no cookie.maxAge) get the store's maxAge: 60 s here.
  async function setup(options: Parameters<typeof openStore>[0] = {}) {
    const clock = manualClock()
    const store = await openStore({ maxAge: 60 * SECOND, now: clock.now, ...options })
    const { url } = await startApp(store, {}, express)
    const browser = request.agent(url)
    const body = view(await browser.get('/count').expect(200))
    const visit = async () => view(await browser.get('/count').expect(200))
    return { clock, store, browser, id: body.id, visit }
  }

  it('an expired session gives a fresh, empty session under a new id', async () => {
    const { clock, store, browser, id } = await setup()
    clock.advance(60 * SECOND)

    const res = await browser.get('/peek').expect(200)
    expect(view(res)).toMatchObject({ views: null, user: null })
    expect(view(res).id).not.toBe(id)
    const again = await browser.get('/count').expect(200)
    expect(view(again).id).not.toBe(id)
    expect(view(again).views).toBe(1)
    expect(await store.get(id)).toBeNull()
  })

  it('sliding: each request pushes the expiry', async () => {
    const { clock, id, visit } = await setup({ expiry: 'sliding' })
    clock.advance(40 * SECOND)
    expect(await visit()).toMatchObject({ id, views: 2 })
    clock.advance(40 * SECOND) // 80 s after creation, 40 s after the last request
    expect(await visit()).toMatchObject({ id, views: 3 })
    clock.advance(60 * SECOND)
    expect(await visit()).not.toMatchObject({ id })
  })

  it('sliding: an unmodified request (touch) pushes the expiry too', async () => {
    const { clock, browser, id, visit } = await setup({ expiry: 'sliding' })
    clock.advance(40 * SECOND)
    await browser.get('/peek').expect(200)
    clock.advance(40 * SECOND)
    expect(await visit()).toMatchObject({ id, views: 2 })
  })

  it('fixed: the expiry runs from creation whatever the requests', async () => {
    const { clock, id, visit } = await setup({ expiry: 'fixed' })
    clock.advance(40 * SECOND)
    expect(await visit()).toMatchObject({ id, views: 2 })
    clock.advance(20 * SECOND) // 60 s after creation
    const fresh = await visit()
    expect(fresh.id).not.toBe(id)
    expect(fresh.views).toBe(1)
  })

  it('maxLifetime caps a sliding session from its creation', async () => {
    const { clock, id, visit } = await setup({ expiry: 'sliding', maxLifetime: 100 * SECOND })
    clock.advance(40 * SECOND)
    expect(await visit()).toMatchObject({ id, views: 2 })
    clock.advance(40 * SECOND)
    expect(await visit()).toMatchObject({ id, views: 3 })
    clock.advance(40 * SECOND) // 40 s idle, but 120 s old
    expect((await visit()).id).not.toBe(id)
  })

  it('touchAfter skips the write while the expiry would move less than that', async () => {
    const { clock, store, browser, id } = await setup({ touchAfter: 10 * SECOND })
    const created = (await store.core.get(id))!.expiresAt
    clock.advance(5 * SECOND)
    await browser.get('/peek').expect(200)
    expect((await store.core.get(id))!.expiresAt).toBe(created)
    clock.advance(6 * SECOND)
    await browser.get('/peek').expect(200)
    expect((await store.core.get(id))!.expiresAt).toBe(clock.now() + 60 * SECOND)
  })

  it("each session's TTL comes from its own cookie; browser-session cookies get maxAge", async () => {
    const clock = manualClock()
    const store = await openStore({ maxAge: 60 * SECOND, now: clock.now })
    // express-session writes its cookie options onto the store object (store.generate), so two
    // middlewares need two adapters; they share one core store.
    const second = new LevelSessionStore({ store: store.core })
    const persistent = await startApp(store, { cookie: { maxAge: 2 * HOUR } }, express)
    const browserSession = await startApp(second, {}, express)

    const a = await request(persistent.url).get('/count').expect(200)
    const b = await request(browserSession.url).get('/count').expect(200)
    const ttlOf = async (id: string) => (await store.core.get(id))!.expiresAt - clock.now()
    expect(await ttlOf(view(a).id)).toBeGreaterThan(2 * HOUR - 10 * SECOND)
    expect(await ttlOf(view(a).id)).toBeLessThanOrEqual(2 * HOUR)
    expect(await ttlOf(view(b).id)).toBe(60 * SECOND)
  })

  it('get reports the store expiry in cookie.expires', async () => {
    const clock = manualClock()
    const store = await openStore({ expiry: 'fixed', now: clock.now })
    const { url } = await startApp(store, { cookie: { maxAge: HOUR } }, express)
    const body = view(await request.agent(url).get('/count').expect(200))
    clock.advance(HOUR / 2)

    const session = await store.get(body.id)
    const left = new Date(session!.cookie.expires as unknown as string).getTime() - Date.now()
    expect(left).toBeGreaterThan(HOUR / 2 - 10 * SECOND)
    expect(left).toBeLessThanOrEqual(HOUR / 2)
  })
})
