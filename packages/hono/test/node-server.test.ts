/**
 * The middleware over real HTTP through `@hono/node-server`, in this process: the counter, the
 * cookie a real client receives, and a store failure that fails one request only.
 */
import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createSessionStore } from '../src/index.js'
import { Client, type Data, failingStore, makeApp, tempDir } from './helpers.js'

async function listen(fetch: (request: Request) => Response | Promise<Response>) {
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
  })
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())))
  const { port } = server.address() as AddressInfo
  return new Client((path, init) => globalThis.fetch(`http://127.0.0.1:${port}${path}`, init))
}

describe('over real HTTP (@hono/node-server)', () => {
  it('counts visits, sends the signed cookie, writes nothing for a peek', async () => {
    const { app, store } = await makeApp({ cookie: { maxAge: 60_000 } })
    const browser = await listen(app.fetch)
    const first = await browser.view('/')
    expect(browser.setCookie).toMatch(/^sid=[^;]+; Max-Age=60; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(await browser.view('/')).toMatchObject({ id: first.id, views: 2 })
    const stranger = await listen(app.fetch)
    expect(await (await stranger.request('/peek')).text()).toBe('peek')
    expect(stranger.setCookie).toBeNull()
    expect(await store.count()).toBe(1)
  })

  it('a store failure is one 500; the next request works', async () => {
    const real = createSessionStore<Data>({ path: await tempDir(), cleanupInterval: 0 })
    onTestFinished(() => real.close())
    const { store, plan } = failingStore(real)
    const { app, errors } = await makeApp({ store })
    const browser = await listen(app.fetch)
    await browser.view('/')
    plan.failing = 1
    expect((await browser.request('/')).status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(await browser.view('/')).toMatchObject({ views: 2 })
  })
})
