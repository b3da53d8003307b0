/**
 * The Store API itself (no HTTP): callbacks and promises, the optional methods, options, sharing
 * a core store, persistence across close/reopen, events.
 */
import { join } from 'node:path'
import session from 'express-session'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import {
  createSessionStore,
  generateSessionId,
  LevelSessionStore,
  type Codec,
} from '../src/index.js'
import { aboutMs, openStore, tempDir } from './helpers.js'

type Data = session.SessionData

/** A session as express-session hands it to `set`: a live Cookie, other fields as given. */
function sessionData(fields: Partial<Data> = {}, maxAge: number | null = 60_000): Data {
  const cookie = new session.Cookie()
  if (maxAge !== null) cookie.maxAge = maxAge
  return { cookie, ...fields }
}

/** Calls `call` with a recording callback; resolves with its arguments once it was called. */
async function viaCallback(
  call: (cb: (...args: unknown[]) => void) => void,
): Promise<{ args: unknown[]; sync: boolean }> {
  let calls = 0
  let args: unknown[] = []
  const done = new Promise<void>((resolve) => {
    call((...received) => {
      calls++
      args = received
      resolve()
    })
  })
  const sync = calls > 0
  await done
  await new Promise((resolve) => setImmediate(resolve))
  expect(calls).toBe(1)
  return { args, sync }
}

describe('callbacks and promises', () => {
  it('every method calls its callback exactly once, asynchronously', async () => {
    const store = await openStore()
    const id = generateSessionId()
    const results = {
      set: await viaCallback((cb) => store.set(id, sessionData({ views: 1, user: 'ann' }), cb)),
      get: await viaCallback((cb) => store.get(id, cb)),
      touch: await viaCallback((cb) => store.touch(id, sessionData({ views: 1 }), cb)),
      all: await viaCallback((cb) => store.all(cb)),
      ids: await viaCallback((cb) => store.ids(cb)),
      length: await viaCallback((cb) => store.length(cb)),
      destroyUser: await viaCallback((cb) => store.destroyUser('ann', cb)),
      destroy: await viaCallback((cb) => store.destroy(id, cb)),
      clear: await viaCallback((cb) => store.clear(cb)),
      ready: await viaCallback((cb) => store.ready(cb)),
      close: await viaCallback((cb) => store.close(cb)),
    }
    for (const [name, { args, sync }] of Object.entries(results)) {
      expect.soft(sync, name).toBe(false)
      expect.soft(args[0], name).toBeNull()
    }
    expect(results.get.args[1]).toMatchObject({ views: 1, user: 'ann' })
    expect(Object.keys(results.all.args[1] as object)).toEqual([id])
    expect(results.ids.args[1]).toEqual([id])
    expect(results.length.args[1]).toBe(1)
    expect(results.destroyUser.args[1]).toBe(1)
  })

  it('failures reach the callback once, as the first argument', async () => {
    const store = await openStore()
    const bad = await viaCallback((cb) => store.set('', sessionData(), cb))
    expect(bad.sync).toBe(false)
    expect(bad.args[0]).toMatchObject({ code: 'ERR_SESSION_ID' })

    await store.close()
    for (const call of [
      (cb: (...args: unknown[]) => void) => store.get(generateSessionId(), cb),
      (cb: (...args: unknown[]) => void) => store.set(generateSessionId(), sessionData(), cb),
      (cb: (...args: unknown[]) => void) => store.touch(generateSessionId(), sessionData(), cb),
      (cb: (...args: unknown[]) => void) => store.destroy(generateSessionId(), cb),
    ]) {
      const { args, sync } = await viaCallback(call)
      expect(sync).toBe(false)
      expect(args[0]).toMatchObject({ code: 'ERR_STORE_CLOSED' })
    }
  })

  it('returns promises when no callback is given', async () => {
    const store = await openStore()
    const id = generateSessionId()
    await expect(store.set(id, sessionData({ views: 2 }))).resolves.toBeUndefined()
    await expect(store.get(id)).resolves.toMatchObject({ views: 2 })
    await expect(store.touch(id, sessionData())).resolves.toBeUndefined()
    await expect(store.all()).resolves.toHaveProperty(id)
    await expect(store.ids()).resolves.toEqual([id])
    await expect(store.length()).resolves.toBe(1)
    await expect(store.destroy(id)).resolves.toBeUndefined()
    await expect(store.destroy(id)).resolves.toBeUndefined() // idempotent
    await expect(store.get(id)).resolves.toBeNull()
    await expect(store.clear()).resolves.toBeUndefined()
    await expect(store.close()).resolves.toBeUndefined()
    await expect(store.close()).resolves.toBeUndefined() // idempotent
    await expect(store.get(id)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
  })

  it('a dropped promise never becomes an unhandled rejection', async () => {
    const store = await openStore()
    await store.close()
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled))
    // What express-session does for `req.session.destroy()` without a callback.
    void store.destroy(generateSessionId())
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(unhandled).toEqual([])
  })

  it("calls back from a cached get under an app test's fake timers", async () => {
    const store = await openStore()
    const id = generateSessionId()
    await store.set(id, sessionData({ views: 3 }))
    vi.useFakeTimers()
    onTestFinished(() => void vi.useRealTimers())
    // Written through, so this get is answered from the cache, with no storage call.
    const [error, found] = await new Promise<unknown[]>((resolve) =>
      store.get(id, (...args) => resolve(args)),
    )
    expect(error).toBeNull()
    expect(found).toMatchObject({ views: 3 })
  })
})

it("follows an app test's fake Date: vi.setSystemTime expires a session", async () => {
  const store = await openStore()
  vi.useFakeTimers({ now: Date.now() })
  onTestFinished(() => void vi.useRealTimers())
  const id = generateSessionId()
  const data = sessionData({ views: 1 }, 1000) // the cookie's expires is on the fake clock
  await store.set(id, data)
  const loaded = await store.get(id)
  // Read back on the same clock: the stored expiry is the cookie's own.
  expect((loaded?.cookie.expires as unknown as string) ?? null).toBe(
    data.cookie.expires!.toISOString(),
  )
  vi.setSystemTime(Date.now() + 2000)
  expect(await store.get(id)).toBeNull()
})

it('on the default clock, a loaded cookie expires exactly when the stored session does', async () => {
  const store = await openStore()
  const id = generateSessionId()
  await store.set(id, sessionData({ views: 1 }))
  // A clock that moves on every reading: converting the expiry through it would shift it.
  let t = Date.now()
  vi.spyOn(Date, 'now').mockImplementation(() => t++)
  onTestFinished(() => void vi.restoreAllMocks())
  const loaded = await store.get(id)
  const stored = await store.core.get(id)
  expect(loaded?.cookie.expires).toBe(new Date(stored!.expiresAt).toISOString())
})

describe('a shared core store', () => {
  it('takes any number of adapters without a MaxListenersExceededWarning, and lets them go', async () => {
    const core = createSessionStore<session.SessionData>({
      path: join(await tempDir(), 'db'),
      cleanupInterval: 0,
    })
    onTestFinished(() => core.close())
    const warnings: Error[] = []
    const listen = (warning: Error) => warnings.push(warning)
    process.on('warning', listen)
    try {
      const before = core.getMaxListeners()
      const adapters = Array.from({ length: 25 }, () => new LevelSessionStore({ store: core }))
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
      await Promise.all(adapters.map((a) => a.close()))
      expect(core.listenerCount('error')).toBe(0)
      expect(core.getMaxListeners()).toBe(before)
    } finally {
      process.off('warning', listen)
    }
  })
})

describe('stored data', () => {
  it('keeps the cookie shape; only cookie.expires comes back as a Date through express-session', async () => {
    const store = await openStore()
    const id = generateSessionId()
    const when = new Date('2030-01-02T03:04:05.000Z')
    await store.set(id, sessionData({ views: 1, when }))

    const raw = await store.get(id)
    expect(raw).toEqual({
      views: 1,
      when: when.toISOString(),
      cookie: {
        originalMaxAge: aboutMs(60_000),
        expires: expect.any(String) as unknown,
        httpOnly: true,
        path: '/',
      },
    })

    const loaded = await new Promise<Data | undefined>((resolve, reject) =>
      store.load(id, (err, sess) => (err ? reject(err as Error) : resolve(sess))),
    )
    expect(loaded?.cookie.expires).toBeInstanceOf(Date)
    expect(loaded?.cookie.originalMaxAge).toEqual(aboutMs(60_000))
    expect(loaded?.when).toBe(when.toISOString())
  })

  it('stores the very JSON that MemoryStore stores, on set and on a touch that changes the cookie', async () => {
    const store = await openStore()
    const memory = new session.MemoryStore()
    const stored = async (id: string) =>
      Buffer.from((await store.core.backend.load(id))!.value).toString('utf8')
    const remembered = (id: string) =>
      (memory as unknown as { sessions: Record<string, string> }).sessions[id]
    const sessions = [
      sessionData({ views: 1, when: new Date('2030-01-02T03:04:05.000Z') }),
      sessionData({ views: 2 }, null), // a browser-session cookie: expires null
      { cookie: { path: '/', originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } },
    ] as Data[]
    for (const data of sessions) {
      const id = generateSessionId()
      await store.set(id, data)
      memory.set(id, data)
      expect(await stored(id)).toBe(remembered(id))
      // A touch whose cookie differs from the stored one rewrites it: still the same JSON.
      data.cookie.path = '/app'
      await store.touch(id, data)
      memory.set(id, data)
      expect(await stored(id)).toBe(remembered(id))
    }
  })

  it('a session loaded through createSession carries nothing its data or its JSON shows', async () => {
    const store = await openStore()
    const id = generateSessionId()
    await store.set(id, sessionData({ views: 1 }))
    const req = { sessionID: id, sessionStore: store } as unknown as Parameters<
      typeof store.createSession
    >[0]
    const loaded = store.createSession(req, (await store.get(id))!)
    expect(Object.keys(loaded).sort()).toEqual(['cookie', 'views'])
    // express-session's own hidden fields, and no other name.
    expect(Object.getOwnPropertyNames(loaded).sort()).toEqual(['cookie', 'id', 'req', 'views'])
    expect(JSON.stringify(loaded)).toBe(JSON.stringify({ cookie: loaded.cookie, views: 1 }))
    expect(Object.getOwnPropertySymbols({ ...loaded })).toEqual([])
    // Its save is of a loaded session: written only while the session still exists.
    await store.destroy(id)
    await store.set(id, loaded)
    expect(await store.get(id)).toBeNull()
    // A session not loaded (new, or regenerated) is created.
    await store.set(id, sessionData({ views: 2 }))
    expect((await store.get(id))!.views).toBe(2)
  })

  it('a loaded session object that takes no property is still written only while it exists', async () => {
    const base = session.Store.prototype.createSession
    type Req = Parameters<session.Store['createSession']>[0]
    // A session object that takes no new property, as an app's createSession may hand back.
    session.Store.prototype.createSession = function (this: session.Store, req: Req, data: Data) {
      return Object.preventExtensions(base.call(this, req, data))
    }
    onTestFinished(() => {
      session.Store.prototype.createSession = base
    })
    const store = await openStore()
    const id = generateSessionId()
    await store.set(id, sessionData({ views: 1 }))
    const req = { sessionID: id, sessionStore: store } as unknown as Req
    const loaded = store.createSession(req, (await store.get(id))!)
    // Signed out everywhere while the request runs; then its save.
    await store.destroy(id)
    await store.set(id, loaded)
    expect(await store.get(id)).toBeNull()
    // A Proxy around a loaded session (change tracking) counts as loaded too.
    session.Store.prototype.createSession = base
    await store.set(id, sessionData({ views: 2 }))
    const proxied = new Proxy(store.createSession(req, (await store.get(id))!), {})
    await store.destroy(id)
    await store.set(id, proxied)
    expect(await store.get(id)).toBeNull()
  })

  it('a codec can keep other Dates as Dates', async () => {
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
    const codec: Codec<Data> = {
      encode: (data) => JSON.stringify(data),
      decode: (text) =>
        JSON.parse(text, (key, value: unknown) =>
          key !== 'expires' && typeof value === 'string' && iso.test(value)
            ? new Date(value)
            : value,
        ) as Data,
    }
    const store = await openStore({ codec })
    const id = generateSessionId()
    const when = new Date('2030-01-02T03:04:05.000Z')
    await store.set(id, sessionData({ when }))
    expect((await store.get(id))?.when).toEqual(when)
  })

  it('a browser-session cookie is stored with expires null and the store maxAge', async () => {
    const store = await openStore({ maxAge: 5 * 60_000 })
    const id = generateSessionId()
    await store.set(id, sessionData({ views: 1 }, null))
    expect((await store.get(id))?.cookie).toMatchObject({ originalMaxAge: null, expires: null })
    const { expiresAt } = (await store.core.get(id))!
    expect(expiresAt - Date.now()).toBeGreaterThan(4 * 60_000)
  })

  it('a cookie that has already expired destroys the session on set and on touch', async () => {
    const store = await openStore()
    for (const method of ['set', 'touch'] as const) {
      const id = generateSessionId()
      await store.set(id, sessionData({ views: 1 }))
      const expired = sessionData({ views: 2 })
      expired.cookie.expires = new Date(Date.now() - 1000)
      await store[method](id, expired)
      expect(await store.core.get(id), method).toBeUndefined()
    }
  })

  it('touch never recreates a session that is gone', async () => {
    const store = await openStore()
    const id = generateSessionId()
    await store.touch(id, sessionData({ views: 1 }))
    expect(await store.get(id)).toBeNull()
  })

  it('treats records that are not express sessions, and invalid ids, as no session', async () => {
    const store = await openStore()
    const id = generateSessionId()
    await store.core.set(id, { views: 1 } as unknown as Data)
    expect(await store.get(id)).toBeNull()
    expect(await store.all()).toEqual({})
    expect(await store.get('x'.repeat(1000))).toBeNull()
    await expect(store.set(id, { views: 1 } as unknown as Data)).rejects.toThrow(TypeError)
  })

  it('all() is keyed by session id, like MemoryStore', async () => {
    const store = await openStore()
    const ids = [generateSessionId(), generateSessionId()]
    for (const [i, id] of ids.entries()) await store.set(id, sessionData({ views: i }))
    const all = await store.all()
    expect(Object.keys(all).sort()).toEqual([...ids].sort())
    expect(all[ids[1]!]).toMatchObject({ views: 1 })
    await store.clear()
    expect(await store.length()).toBe(0)
  })

  it('destroyUser accepts numeric user ids and an except list', async () => {
    const store = await openStore({ userId: (data: Data) => data.views })
    const ids = [generateSessionId(), generateSessionId(), generateSessionId()]
    for (const id of ids) await store.set(id, sessionData({ views: 7 }))
    expect(await store.destroyUser(7, { except: [ids[0]!] })).toBe(2)
    expect(await store.ids()).toEqual([ids[0]])
    const { args } = await viaCallback((cb) => store.destroyUser(7, { except: ids[0]! }, cb))
    expect(args).toEqual([null, 0])
  })
})

describe('options', () => {
  it('rejects bad options when constructed, naming them', async () => {
    const path = join(await tempDir(), 'db')
    expect(() => new LevelSessionStore(undefined as never)).toThrow(/LevelSessionStore/)
    expect(() => new LevelSessionStore({})).toThrow(TypeError)
    expect(() => new LevelSessionStore({ path, maxAge: -1 })).toThrow(/maxAge/)
    expect(() => new LevelSessionStore({ path, expiry: 'forever' as never })).toThrow(/expiry/)
    expect(() => new LevelSessionStore({ store: {} as never })).toThrow(/createSessionStore/)
    const core = createSessionStore({ path })
    onTestFinished(() => core.close())
    expect(() => new LevelSessionStore({ store: core, maxAge: 1 } as never)).toThrow(/maxAge/)
  })

  it('shares an existing core store and leaves it open on close', async () => {
    const core = createSessionStore<Data>({ path: join(await tempDir(), 'db') })
    onTestFinished(() => core.close())
    const a = new LevelSessionStore({ store: core })
    const b = new LevelSessionStore({ store: core })
    const id = generateSessionId()
    await a.set(id, sessionData({ views: 3 }))
    await a.close()
    expect(await b.get(id)).toMatchObject({ views: 3 })
    expect(core.closed).toBe(false)
  })

  it('keeps sessions across close and reopen', async () => {
    const path = join(await tempDir(), 'db')
    const id = generateSessionId()
    const first = new LevelSessionStore({ path })
    await first.set(id, sessionData({ views: 9, user: 'ann' }))
    await first.close()

    const second = new LevelSessionStore({ path })
    onTestFinished(() => second.close())
    expect(await second.get(id)).toMatchObject({ views: 9, user: 'ann' })
  })
})

describe('events', () => {
  const failingCodec: Codec<Data> = {
    encode: (data) => JSON.stringify(data),
    decode: () => {
      throw new Error('unreadable')
    },
  }

  it('never emits error without a listener', async () => {
    const store = await openStore({ codec: failingCodec })
    const id = generateSessionId()
    await store.set(id, sessionData())
    // The core reports the undecodable record; with nobody listening here it must not throw.
    await expect(store.get(id)).resolves.toBeNull()
  })

  it("passes core's errors on to error listeners", async () => {
    const store = await openStore({ codec: failingCodec })
    const errors: unknown[] = []
    store.on('error', (error) => errors.push(error))
    const id = generateSessionId()
    await store.set(id, sessionData())
    await expect(store.get(id)).resolves.toBeNull()
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_SESSION_DECODE' })])
  })
})
