/**
 * The same store object as a koa-generic-session store (`get(sid)`, `set(sid, sess, ttl)`,
 * `destroy(sid)`), over real HTTP.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import genericSession from 'koa-generic-session'
import request from 'supertest'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { LevelSessionStore } from '../src/index.js'
import { KEYS, KOA_VERSIONS, type KoaClass, manualClock, openStore } from './helpers.js'

interface GenericContext extends Koa.Context {
  sessionId: string
  regenerateSession(): Promise<void>
}

async function startGenericApp(store: LevelSessionStore, KoaApp: KoaClass): Promise<string> {
  const app = new KoaApp()
  app.keys = KEYS
  app.use(genericSession({ store, cookie: { maxAge: 60_000 } }))
  app.use(async (ctx) => {
    const c = ctx as GenericContext
    if (ctx.path === '/count') c.session.views = (c.session.views ?? 0) + 1
    if (ctx.path === '/login') {
      await c.regenerateSession()
      c.session.user = 'ann'
    }
    if (ctx.path === '/logout') c.session = null
    ctx.body = { sid: c.sessionId, views: c.session?.views ?? null, user: c.session?.user ?? null }
  })
  const handle = app.callback()
  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe.each(KOA_VERSIONS)('koa-generic-session on $name', ({ Koa }) => {
  it('counts, regenerates and destroys through get(sid), set(sid, sess, ttl), destroy(sid)', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    const set = vi.spyOn(store, 'set')
    const browser = request.agent(await startGenericApp(store, Koa))

    const first = (await browser.get('/count').expect(200)).body as { sid: string }
    expect((await browser.get('/count').expect(200)).body).toEqual({ ...first, views: 2 })
    const key = `koa:sess:${first.sid}`
    expect(set).toHaveBeenLastCalledWith(key, expect.anything(), 60_000)
    const stored = await store.core.get(key)
    expect(stored?.data).toMatchObject({ views: 2, cookie: { maxAge: 60_000, httpOnly: true } })
    expect(stored!.expiresAt).toBe(clock.now() + 60_000)

    const login = (await browser.get('/login').expect(200)).body as { sid: string }
    expect(login).toMatchObject({ views: null, user: 'ann' }) // regenerateSession starts empty
    expect(login.sid).not.toBe(first.sid)
    expect(await store.get(key)).toBeNull()
    expect(await store.get(`koa:sess:${login.sid}`)).toMatchObject({ user: 'ann' })

    await browser.get('/logout').expect(200)
    expect(await store.get(`koa:sess:${login.sid}`)).toBeNull()
  })
})
