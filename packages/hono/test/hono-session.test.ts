/**
 * The `@hono/session` bridge with the real `useSession` (0.2): data in LevelDB under its `sid`,
 * a TTL from `duration`, and failed writes reported or turned into the request's error.
 */
import { type SessionEnv, type Storage, useSession, useSessionStorage } from '@hono/session'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { gate } from '@levelsession/core/testing'
import {
  createSessionStorage,
  type LevelSessionStorage,
  useLevelSessionStorage,
  type WriteFailure,
} from '../src/hono-session/index.js'
import { Client, failingStore, manualClock, tempDir } from './helpers.js'

interface Cart extends Record<string, unknown> {
  items: string[]
}

const SECRET = 'a'.repeat(64)

function cartApp(
  storageMiddleware: MiddlewareHandler<SessionEnv<Cart>>,
  duration?: { absolute: number; inactivity?: number },
) {
  const app = new Hono<SessionEnv<Cart>>()
  const errors: Error[] = []
  app.onError((error, c) => {
    errors.push(error)
    return c.text('failed', 500)
  })
  app.use(
    storageMiddleware,
    useSession<Cart>({ secret: SECRET, ...(duration ? { duration } : {}) }),
  )
  app.get('/', async (c) => c.json(await c.get('session').get()))
  app.post('/add/:item', async (c) => {
    const s = c.get('session')
    await s.update((prev) => ({ items: [...(prev?.items ?? []), c.req.param('item')] }))
    return c.json({ sid: s.id, data: s.data })
  })
  app.post('/delete', async (c) => {
    // @hono/session deletes stored data only for a session it has read.
    await c.get('session').get()
    c.get('session').delete()
    return c.text('deleted')
  })
  return { app, errors, client: () => new Client((path, init) => app.request(path, init)) }
}

async function storageOn(
  options: {
    now?: () => number
    duration?: { absolute: number; inactivity?: number }
    onError?: (e: unknown, f: WriteFailure) => void
  } = {},
) {
  const storage: LevelSessionStorage<Cart> = createSessionStorage<Cart>({
    path: await tempDir(),
    cleanupInterval: 0,
    ...options,
  })
  onTestFinished(() => storage.close())
  return storage
}

describe('@hono/session storage bridge', () => {
  it('has the shape useSessionStorage expects', async () => {
    const storage = await storageOn()
    const typed: Storage<Cart> = storage
    expect(typeof typed.get).toBe('function')
  })

  it('with useLevelSessionStorage: data lives in LevelDB under the sid, every write awaited', async () => {
    const clock = manualClock()
    const duration = { absolute: 3600, inactivity: 600 }
    const storage = await storageOn({ now: clock.now, duration })
    const { client } = cartApp(useLevelSessionStorage(storage), duration)
    const c = client()
    const { sid } = (await (await c.request('/add/apple', { method: 'POST' })).json()) as {
      sid: string
    }
    // Awaited before the response: already stored, with the TTL from `duration`.
    expect(await storage.store.get(sid)).toMatchObject({
      data: { items: ['apple'] },
      expiresAt: clock.now() + 600_000,
    })
    await c.request('/add/pear', { method: 'POST' })
    expect(await (await c.request('/')).json()).toEqual({ items: ['apple', 'pear'] })
    expect((await storage.store.get(sid))!.data).toEqual({ items: ['apple', 'pear'] })
    await c.request('/delete', { method: 'POST' })
    expect(await storage.store.get(sid)).toBeUndefined()
  })

  it('with useLevelSessionStorage: a session deleted during a request is not written back', async () => {
    const storage = await storageOn()
    const { app, client } = cartApp(useLevelSessionStorage(storage))
    const held = gate()
    app.post('/slow-add', async (c) => {
      const s = c.get('session')
      // @hono/session reads the stored data in update(), and writes it when the request ends.
      await s.update((prev) => ({ items: [...(prev?.items ?? []), 'late'] }))
      held.arrived()
      await held.opened
      return c.text('ok')
    })
    const c = client()
    const { sid } = (await (await c.request('/add/apple', { method: 'POST' })).json()) as {
      sid: string
    }
    const slow = c.request('/slow-add', { method: 'POST' })
    await held.reached
    expect(await storage.store.destroy(sid)).toBe(true) // signed out everywhere meanwhile
    held.open()
    expect((await slow).status).toBe(200)
    expect(await storage.store.get(sid)).toBeUndefined()
    // A new session is still written as usual.
    const fresh = (await (await client().request('/add/fig', { method: 'POST' })).json()) as {
      sid: string
    }
    expect((await storage.store.get(fresh.sid))?.data).toEqual({ items: ['fig'] })
  })

  it("without a duration, records live for the store's maxAge", async () => {
    const clock = manualClock()
    const storage = await storageOn({ now: clock.now })
    expect(storage.ttl).toBeUndefined()
    const { client } = cartApp(useLevelSessionStorage(storage))
    const res = await client().request('/add/fig', { method: 'POST' })
    const { sid } = (await res.json()) as { sid: string }
    expect((await storage.store.get(sid))!.expiresAt).toBe(clock.now() + 86_400_000)
  })

  it('with useLevelSessionStorage: a failed write is a 500 through onError; the next request works', async () => {
    const real = createSessionStore<Cart>({ path: await tempDir(), cleanupInterval: 0 })
    onTestFinished(() => real.close())
    const { store, plan } = failingStore(real)
    const storage = createSessionStorage<Cart>({ store })
    const { client, errors } = cartApp(useLevelSessionStorage(storage))
    const c = client()
    plan.failing = 1
    const failed = await c.request('/add/apple', { method: 'POST' })
    expect(failed.status).toBe(500)
    expect(errors.map((e) => e.message)).toEqual(['injected set failure'])
    const ok = await client().request('/add/pear', { method: 'POST' })
    expect(ok.status).toBe(200)
    const { sid } = (await ok.json()) as { sid: string }
    expect((await real.get(sid))!.data).toEqual({ items: ['pear'] })
  })

  it('with useSessionStorage: works, and a failed write goes to onError, never unhandled', async () => {
    const real = createSessionStore<Cart>({ path: await tempDir(), cleanupInterval: 0 })
    onTestFinished(() => real.close())
    const { store, plan } = failingStore(real)
    const onError = vi.fn<(error: unknown, failure: WriteFailure) => void>()
    const storage = createSessionStorage<Cart>({ store, onError })
    const { client } = cartApp(useSessionStorage(storage))
    const c = client()
    const res = await c.request('/add/apple', { method: 'POST' })
    const { sid } = (await res.json()) as { sid: string }
    // @hono/session does not await the write: wait for it to land.
    await vi.waitFor(async () => expect((await real.get(sid))?.data).toEqual({ items: ['apple'] }))

    plan.failing = 1
    const failing = await c.request('/add/pear', { method: 'POST' })
    expect(failing.status).toBe(200) // the write was not awaited, so the response could not know
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1))
    const [error, failure] = onError.mock.calls[0]!
    expect((error as Error).message).toBe('injected set failure')
    expect(failure).toEqual({ operation: 'set', sid })
    expect((await real.get(sid))!.data).toEqual({ items: ['apple'] })
  })

  it('logs failed writes by default, without the session id', async () => {
    const real = createSessionStore<Cart>({ path: await tempDir(), cleanupInterval: 0 })
    onTestFinished(() => real.close())
    const { store, plan } = failingStore(real)
    const storage = createSessionStorage<Cart>({ store })
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    onTestFinished(() => log.mockRestore())
    plan.failing = 1
    storage.set('some-session-id', { items: [] })
    await vi.waitFor(() => expect(log).toHaveBeenCalledTimes(1))
    expect(String(log.mock.calls[0]![0])).toMatch(/a session set failed/)
    expect(log.mock.calls[0]!.join(' ')).not.toContain('some-session-id')
  })

  it('a throwing onError is contained too', async () => {
    const real = createSessionStore<Cart>({ path: await tempDir(), cleanupInterval: 0 })
    onTestFinished(() => real.close())
    const { store, plan } = failingStore(real)
    let called = false
    const storage = createSessionStorage<Cart>({
      store,
      onError: () => {
        called = true
        throw new Error('reporter failed')
      },
    })
    Object.assign(plan, { method: 'destroy', failing: 1 })
    storage.delete('x')
    await vi.waitFor(() => expect(called).toBe(true))
  })

  it('checks its options when created', async () => {
    const path = await tempDir()
    expect(() => createSessionStorage({ path, duration: { absolute: -5 } })).toThrow(
      /duration\.absolute/,
    )
    expect(() => createSessionStorage({ path, duration: { absolute: '5' as never } })).toThrow(
      TypeError,
    )
    expect(() => createSessionStorage({ path, duration: { absolute: -5 } })).toThrow(RangeError)
    expect(() => createSessionStorage({})).toThrow(/options\.path/)
    expect(() => useLevelSessionStorage({} as never)).toThrow(/createSessionStorage/)
  })
})
