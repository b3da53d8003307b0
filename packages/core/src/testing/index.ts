/**
 * @module
 * The conformance suite every backend and adapter runs: one clause of the store contract per
 * test, checked through the public API and, where the backend can verify its indexes, against
 * what actually reached storage.
 *
 * @example
 * ```ts
 * import { runStoreConformance } from '@levelsession/core/testing'
 * runStoreConformance('my backend', (options) => createSessionStore({ ...options, backend: myBackend() }))
 * ```
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { SessionStore } from '../store.js'
import type { SessionData, SessionStoreOptions } from '../types.js'

export * from './fixtures.js'
export * from './app-processes.js'
export * from './consumer-types.js'

/** Options the suite passes to the factory; the factory adds its storage (path, db or backend). */
export type ConformanceOptions = Omit<SessionStoreOptions<SessionData>, 'path' | 'db' | 'backend'>

export type StoreFactory = (
  options: ConformanceOptions,
) => SessionStore<SessionData> | Promise<SessionStore<SessionData>>

export interface ConformanceContext {
  /** Creates a store with the suite's clock; closed after each test. */
  makeStore(options?: ConformanceOptions): Promise<SessionStore<SessionData>>
  clock: TestClock
}

export interface ConformanceSuiteOptions {
  /** Test names to skip. */
  skip?: string[]
  /** Extra tests for this backend, run inside the suite's describe block. */
  additionalTests?: (context: ConformanceContext) => void
  /** Runs of the random-interleaving property test. @default 25 */
  propertyRuns?: number
}

/** A clock the tests move by hand. */
export class TestClock {
  value: number
  readonly now = (): number => this.value
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.value = start
  }
  advance(ms: number): void {
    this.value += ms
  }
}

const DAY = 86_400_000

export function runStoreConformance(
  name: string,
  factory: StoreFactory,
  suite: ConformanceSuiteOptions = {},
): void {
  const skip = new Set(suite.skip ?? [])
  const test = (title: string, body: () => Promise<void>) =>
    (skip.has(title) ? it.skip : it)(title, body)

  describe(`store conformance: ${name}`, () => {
    const open: SessionStore<SessionData>[] = []
    const clock = new TestClock()
    const makeStore = async (options: ConformanceOptions = {}) => {
      const store = await factory({ cleanupInterval: 0, now: clock.now, ...options })
      open.push(store)
      await store.ready()
      return store
    }
    afterEach(async () => {
      clock.value = Date.UTC(2030, 0, 1)
      await Promise.all(open.splice(0).map((s) => s.close()))
    })

    describe('set and get', () => {
      test('get returns what set stored, with its times', async () => {
        const store = await makeStore()
        const data = { views: 3, nested: { list: [1, 'two'] }, text: 'é ✓' }
        const saved = await store.set('a', data)
        expect(saved).toMatchObject({
          id: 'a',
          createdAt: clock.value,
          expiresAt: clock.value + DAY,
        })
        const got = await store.get('a')
        expect(got).toEqual({ id: 'a', data, createdAt: clock.value, expiresAt: clock.value + DAY })
        expect(got!.data).not.toBe(data)
      })

      test('get of an unknown id is undefined', async () => {
        const store = await makeStore()
        expect(await store.get('missing')).toBeUndefined()
      })

      test('set takes a per-call ttl', async () => {
        const store = await makeStore()
        const saved = await store.set('a', { n: 1 }, { ttl: 5000 })
        expect(saved.expiresAt).toBe(clock.value + 5000)
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + 5000)
      })

      test('set replaces the data', async () => {
        const store = await makeStore()
        await store.set('a', { n: 1, gone: true })
        await store.set('a', { n: 2 })
        expect((await store.get('a'))!.data).toEqual({ n: 2 })
      })

      test('set with ifExists writes over a live session only: never brings one back', async () => {
        const store = await makeStore({ userId: (d) => d.user as string | undefined })
        await store.set('a', { n: 1, user: 'ann' })
        const saved = await store.set('a', { n: 2, user: 'ann' }, { ifExists: true })
        expect(saved).toMatchObject({ id: 'a', data: { n: 2 }, userId: 'ann' })
        expect((await store.get('a'))!.data).toEqual({ n: 2, user: 'ann' })
        // Signed out everywhere while a request that loaded it still runs: it stays gone.
        expect(await store.destroyUser('ann')).toBe(1)
        expect(await store.set('a', { n: 3, user: 'ann' }, { ifExists: true })).toBeUndefined()
        expect(await store.get('a')).toBeUndefined()
        expect(await store.listUser('ann')).toEqual([])
        // Never written, or expired: nothing is written either.
        expect(await store.set('new', { n: 1 }, { ifExists: true })).toBeUndefined()
        expect(await store.get('new')).toBeUndefined()
        await store.set('old', { n: 1 }, { ttl: 1000 })
        clock.advance(1000)
        expect(await store.set('old', { n: 2 }, { ifExists: true })).toBeUndefined()
        expect(await store.get('old')).toBeUndefined()
        // Without it, set creates as before.
        expect((await store.set('a', { n: 4 })).data).toEqual({ n: 4 })
      })

      test('each get returns a fresh copy', async () => {
        const store = await makeStore()
        await store.set('a', { list: [1, { x: 1 }], obj: { a: { b: 'c' } } })
        // A store may keep what it decoded for a cached session: no get may hand it out.
        for (let i = 0; i < 4; i++) {
          const { data } = (await store.get('a'))!
          expect(data).toEqual({ list: [1, { x: 1 }], obj: { a: { b: 'c' } } })
          ;(data.list as unknown[]).push(i)
          ;((data.list as unknown[])[1] as { x: number }).x = 9
          ;(data.obj as { a: { b: string } }).a.b = 'changed'
          data.added = true
        }
        // peek (a backend with a cache) answers from the same cached session.
        const peeked = store.peek('a')
        if (peeked !== undefined) {
          expect(peeked.data).toEqual({ list: [1, { x: 1 }], obj: { a: { b: 'c' } } })
        }
      })

      test('a "__proto__" key in the data stays data, on every get', async () => {
        const store = await makeStore()
        await store.set('p', JSON.parse('{"__proto__":{"admin":true},"n":1}') as SessionData)
        for (let i = 0; i < 3; i++) {
          const { data } = (await store.get('p'))!
          expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
          expect(Object.hasOwn(data, '__proto__')).toBe(true)
          expect((data as { admin?: unknown }).admin).toBeUndefined()
          expect(JSON.stringify(data)).toBe('{"__proto__":{"admin":true},"n":1}')
        }
      })

      test('a custom async codec round-trips', async () => {
        const store = await makeStore({
          codec: {
            encode: async (d) => Promise.resolve(Buffer.from(JSON.stringify(d)).toString('base64')),
            decode: async (t: string) =>
              Promise.resolve(JSON.parse(Buffer.from(t, 'base64').toString()) as SessionData),
          },
        })
        await store.set('a', { when: 'now' })
        expect((await store.get('a'))!.data).toEqual({ when: 'now' })
      })

      test('a binary codec round-trips', async () => {
        const store = await makeStore({
          codec: {
            binary: true,
            encode: (d) => new TextEncoder().encode(JSON.stringify(d)),
            decode: (b) => JSON.parse(new TextDecoder().decode(b)) as SessionData,
          },
        })
        await store.set('a', { bin: true })
        expect((await store.get('a'))!.data).toEqual({ bin: true })
      })
    })

    describe('bad input', () => {
      const badIds: unknown[] = ['', 'x'.repeat(257), 42, null, undefined, {}, ['a'], '\ud800']

      test('invalid ids read as no session and never reach storage', async () => {
        const store = await makeStore()
        for (const id of badIds) {
          expect(await store.get(id as string)).toBeUndefined()
          expect(await store.touch(id as string)).toBe(false)
          expect(await store.destroy(id as string)).toBe(false)
        }
        expect(await store.count()).toBe(0)
      })

      test('set rejects invalid ids with ERR_SESSION_ID', async () => {
        const store = await makeStore()
        for (const id of badIds) {
          await expect(store.set(id as string, {})).rejects.toMatchObject({
            code: 'ERR_SESSION_ID',
          })
        }
        expect(await store.count()).toBe(0)
      })

      test('an id of 256 characters is accepted', async () => {
        const store = await makeStore()
        const id = 'i'.repeat(256)
        await store.set(id, { ok: 1 })
        expect((await store.get(id))!.data).toEqual({ ok: 1 })
      })

      test('data that does not serialise is refused and the stored session kept', async () => {
        const store = await makeStore()
        await store.set('a', { n: 1 })
        const circular: SessionData = {}
        circular.self = circular
        await expect(store.set('a', circular)).rejects.toMatchObject({ code: 'ERR_SESSION_ENCODE' })
        await expect(store.set('a', { big: 1n })).rejects.toMatchObject({
          code: 'ERR_SESSION_ENCODE',
        })
        expect((await store.get('a'))!.data).toEqual({ n: 1 })
      })

      test('an oversized session is refused and nothing is stored', async () => {
        const store = await makeStore({ maxSessionBytes: 100 })
        await expect(store.set('a', { blob: 'x'.repeat(200) })).rejects.toMatchObject({
          code: 'ERR_SESSION_TOO_LARGE',
        })
        expect(await store.get('a')).toBeUndefined()
        expect(await store.count()).toBe(0)
      })

      test('a per-call ttl of the wrong type or range is a TypeError or RangeError', async () => {
        const store = await makeStore()
        await expect(store.set('a', {}, { ttl: '5' as unknown as number })).rejects.toBeInstanceOf(
          TypeError,
        )
        await expect(store.set('a', {}, { ttl: -1 })).rejects.toBeInstanceOf(RangeError)
        await expect(store.touch('a', { ttl: Infinity })).rejects.toBeInstanceOf(RangeError)
        expect(await store.get('a')).toBeUndefined()
      })

      test('a record that fails to decode is no session, is reported, and other reads work', async () => {
        const store = await makeStore({
          codec: {
            encode: (d) => JSON.stringify(d),
            decode: (t: string) => {
              const d = JSON.parse(t) as SessionData
              if (d.poison === true) throw new Error('poisoned')
              return d
            },
          },
        })
        const errors: Error[] = []
        store.on('error', (e) => errors.push(e))
        await store.set('bad', { poison: true })
        await store.set('good', { fine: true })
        expect(await store.get('bad')).toBeUndefined()
        expect(errors.map((e) => (e as Error & { code: string }).code)).toEqual([
          'ERR_SESSION_DECODE',
        ])
        expect((await store.get('good'))!.data).toEqual({ fine: true })
        const seen: string[] = []
        for await (const record of store.entries()) seen.push(record.id)
        expect(seen).toEqual(['good'])
        await store.set('bad', { poison: false })
        expect((await store.get('bad'))!.data).toEqual({ poison: false })
      })

      test('with no error listener a decode failure is silent, never a crash', async () => {
        const store = await makeStore({
          codec: {
            encode: (d) => JSON.stringify(d),
            decode: () => {
              throw new Error('nope')
            },
          },
        })
        await store.set('a', { n: 1 })
        expect(await store.get('a')).toBeUndefined()
      })
    })

    describe('expiry', () => {
      test('an expired session is never returned and reading it deletes it', async () => {
        const store = await makeStore({ maxAge: 1000 })
        const expired: unknown[] = []
        store.on('expired', (e) => expired.push(e))
        await store.set('a', { n: 1 })
        clock.advance(999)
        expect(await store.get('a')).toBeDefined()
        clock.advance(1)
        expect(await store.get('a')).toBeUndefined()
        expect(expired).toEqual([{ id: 'a', expiresAt: clock.value, reason: 'read' }])
        expect(await store.backend.load('a')).toBeUndefined()
        await verify(store)
      })

      test('expired sessions are left out of entries, count and listUser', async () => {
        const store = await makeStore({ maxAge: 1000, userId: (d) => d.user as string })
        await store.set('old', { user: 'u' })
        clock.advance(500)
        await store.set('new', { user: 'u' })
        clock.advance(600)
        expect(await store.count()).toBe(1)
        const ids: string[] = []
        for await (const r of store.entries()) ids.push(r.id)
        expect(ids).toEqual(['new'])
        expect((await store.listUser('u')).map((r) => r.id)).toEqual(['new'])
      })

      test('sliding: set and touch push the expiry', async () => {
        const store = await makeStore({ maxAge: 10_000 })
        const created = clock.value
        await store.set('a', { n: 1 })
        clock.advance(4000)
        expect(await store.touch('a')).toBe(true)
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + 10_000)
        clock.advance(4000)
        await store.set('a', { n: 2 })
        const got = await store.get('a')
        expect(got).toMatchObject({ createdAt: created, expiresAt: clock.value + 10_000 })
        clock.advance(9000)
        expect(await store.get('a')).toBeDefined()
      })

      test('fixed: touch and set never move the expiry and set keeps createdAt', async () => {
        const store = await makeStore({ maxAge: 10_000, expiry: 'fixed' })
        const created = clock.value
        await store.set('a', { n: 1 })
        clock.advance(4000)
        expect(await store.touch('a')).toBe(true)
        await store.set('a', { n: 2 }, { ttl: 99_999 })
        expect(await store.get('a')).toMatchObject({
          data: { n: 2 },
          createdAt: created,
          expiresAt: created + 10_000,
        })
        clock.advance(6000)
        expect(await store.get('a')).toBeUndefined()
      })

      test('fixed: set after expiry or deletion starts a new lifetime', async () => {
        const store = await makeStore({ maxAge: 10_000, expiry: 'fixed' })
        await store.set('a', { n: 1 })
        clock.advance(10_000)
        await store.set('a', { n: 2 })
        expect(await store.get('a')).toMatchObject({
          data: { n: 2 },
          createdAt: clock.value,
          expiresAt: clock.value + 10_000,
        })
        await store.destroy('a')
        clock.advance(5)
        await store.set('a', { n: 3 })
        expect(await store.get('a')).toMatchObject({ createdAt: clock.value })
        await verify(store)
      })

      test('maxLifetime caps sliding renewals from createdAt', async () => {
        const store = await makeStore({ maxAge: 10_000, maxLifetime: 25_000 })
        const created = clock.value
        await store.set('a', { n: 1 })
        for (let i = 0; i < 4; i++) {
          clock.advance(8000)
          await store.touch('a')
        }
        // 32 s after creation: past the 25 s cap although the last touch was 0 s ago.
        expect(await store.get('a')).toBeUndefined()
        clock.value = created
        await store.set('b', { n: 1 })
        for (let i = 0; i < 3; i++) {
          clock.advance(8000)
          await store.set('b', { n: i })
        }
        expect((await store.get('b'))!.expiresAt).toBe(created + 25_000)
      })

      test('maxLifetime applies in fixed mode too', async () => {
        const store = await makeStore({ maxAge: 10_000, maxLifetime: 5000, expiry: 'fixed' })
        const saved = await store.set('a', {})
        expect(saved.expiresAt).toBe(clock.value + 5000)
        clock.advance(5000)
        expect(await store.get('a')).toBeUndefined()
      })

      test('touchAfter skips writes that would move the expiry less than that', async () => {
        const store = await makeStore({ maxAge: 10_000, touchAfter: 3000 })
        const start = clock.value
        await store.set('a', {})
        clock.advance(2000)
        expect(await store.touch('a')).toBe(true)
        expect((await store.get('a'))!.expiresAt).toBe(start + 10_000)
        clock.advance(1000)
        await store.touch('a')
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + 10_000)
      })

      test('a touch with a short ttl skips only moves under a tenth of it', async () => {
        // touchAfter is a second here: a touch with a 1,500 ms ttl skips only moves under
        // 150 ms, so a user active every 800 ms is never signed out.
        const store = await makeStore({ maxAge: 10_000 })
        await store.set('a', {}, { ttl: 1500 })
        for (let i = 0; i < 5; i++) {
          clock.advance(800)
          expect(await store.touch('a', { ttl: 1500 })).toBe(true)
          expect((await store.get('a'))!.expiresAt).toBe(clock.value + 1500)
        }
        const written = clock.value + 1500
        clock.advance(100)
        expect(await store.touch('a', { ttl: 1500 })).toBe(true)
        expect((await store.get('a'))!.expiresAt).toBe(written)
        // A ttl of 5 s may lag 500 ms.
        await store.set('b', {}, { ttl: 5000 })
        const first = clock.value + 5000
        clock.advance(400)
        await store.touch('b', { ttl: 5000 })
        expect((await store.get('b'))!.expiresAt).toBe(first)
        clock.advance(200)
        await store.touch('b', { ttl: 5000 })
        expect((await store.get('b'))!.expiresAt).toBe(clock.value + 5000)
      })

      test('a lazy touch never skips half of its ttl, whatever touchAfter says', async () => {
        const store = await makeStore({ maxAge: 1000, touchAfter: 900 })
        await store.set('a', {})
        clock.advance(600) // past half of the ttl: written
        await store.touch('a')
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + 1000)
        clock.advance(400) // under half: skipped
        await store.touch('a')
        expect((await store.get('a'))!.expiresAt).toBe(clock.value - 400 + 1000)
      })

      test('a long ttl still skips up to touchAfter: a 30-minute cookie writes once a minute', async () => {
        const store = await makeStore({ maxAge: DAY }) // touchAfter 60 s
        const ttl = 30 * 60_000
        await store.set('a', {}, { ttl })
        const first = clock.value + ttl
        clock.advance(59_000)
        await store.touch('a', { ttl })
        expect((await store.get('a'))!.expiresAt).toBe(first)
        clock.advance(1000)
        await store.touch('a', { ttl })
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + ttl)
      })

      test('touch with a shorter ttl shortens the expiry', async () => {
        const store = await makeStore({ maxAge: 10_000, touchAfter: 3000 })
        await store.set('a', {})
        await store.touch('a', { ttl: 1000 })
        expect((await store.get('a'))!.expiresAt).toBe(clock.value + 1000)
      })

      test('a touch that would move the expiry back less than the lazy window leaves it', async () => {
        // touchAfter 3000 is 0.3 of maxAge: a touch skips moves under 0.3 of its ttl (at most 3000).
        const store = await makeStore({ maxAge: 10_000, touchAfter: 3000 })
        await store.set('a', {})
        const stored = clock.value + 10_000
        // A request that began 2 s before the one that stored the session, ending after it: its
        // ttl of 8000 skips moves under 2400.
        await store.touch('a', { ttl: 10_000 - 2000 })
        expect((await store.get('a'))!.expiresAt).toBe(stored)
        // 2.5 s back, past its window of 2250: a shorter lifetime, written.
        await store.touch('a', { ttl: 10_000 - 2500 })
        expect((await store.get('a'))!.expiresAt).toBe(stored - 2500)
        // A patch that changes the data stores its own expiry, however small the move back.
        await store.touch('a', {
          ttl: 10_000 - 2600,
          patch: (stored) => ({ ...stored, renewed: true }),
        })
        const patched = await store.get('a')
        expect(patched!.data).toEqual({ renewed: true })
        expect(patched!.expiresAt).toBe(clock.value + 10_000 - 2600)
        // touchAfter 0 writes every move, either way.
        const eager = await makeStore({ maxAge: 10_000, touchAfter: 0 })
        await eager.set('b', {})
        await eager.touch('b', { ttl: 9999 })
        expect((await eager.get('b'))!.expiresAt).toBe(clock.value + 9999)
      })

      test('touch of a missing or expired session is false and creates nothing', async () => {
        const store = await makeStore({ maxAge: 1000 })
        expect(await store.touch('nope')).toBe(false)
        await store.set('a', {})
        clock.advance(1000)
        expect(await store.touch('a')).toBe(false)
        expect(await store.count()).toBe(0)
        expect(await store.backend.load('a')).toBeUndefined()
      })

      test('touch patch rewrites the stored data atomically, in both modes', async () => {
        for (const expiry of ['sliding', 'fixed'] as const) {
          const store = await makeStore({ maxAge: 10_000, expiry })
          await store.set('a', { cookie: { maxAge: 1 }, cart: ['x'] })
          clock.advance(1000)
          const live = await store.touch('a', {
            ttl: 50_000,
            patch: (stored) => ({ ...stored, cookie: { maxAge: 2 } }),
          })
          expect(live).toBe(true)
          const got = await store.get('a')
          expect(got!.data).toEqual({ cookie: { maxAge: 2 }, cart: ['x'] })
          expect(got!.expiresAt).toBe(
            expiry === 'fixed' ? clock.value - 1000 + 10_000 : clock.value + 50_000,
          )
          await store.touch('a', { patch: () => undefined })
          expect((await store.get('a'))!.data).toEqual({ cookie: { maxAge: 2 }, cart: ['x'] })
        }
      })
    })

    describe('destroy', () => {
      test('destroy removes a session and is idempotent', async () => {
        const store = await makeStore()
        await store.set('a', {})
        expect(await store.destroy('a')).toBe(true)
        expect(await store.destroy('a')).toBe(false)
        expect(await store.destroy('never-written')).toBe(false)
        expect(await store.get('a')).toBeUndefined()
        await verify(store)
      })

      test('destroy of an expired session not yet swept removes it and resolves false', async () => {
        const store = await makeStore({
          maxAge: 1000,
          userId: (d: SessionData) => d.user as string | undefined,
        })
        await store.set('a', { user: 'ann' })
        await store.set('b', { user: 'ann' })
        clock.advance(1000)
        // Still stored: only the cleaner (or a read) removes an expired session.
        expect(await store.backend.load('a')).toBeDefined()
        expect(await store.destroy('a')).toBe(false)
        expect(await store.backend.load('a')).toBeUndefined()
        expect(await store.destroy('a')).toBe(false)
        // A live session still counts; the expired one left in the index is the cleaner's.
        await store.set('c', { user: 'ann' })
        expect(await store.destroy('c')).toBe(true)
        expect((await store.listUser('ann')).map((s) => s.id)).toEqual([])
        await verify(store)
      })
    })

    describe('user index', () => {
      const byUser = { userId: (d: SessionData) => d.user as string | number | undefined }

      test('listUser returns the live sessions of one user, oldest first', async () => {
        const store = await makeStore(byUser)
        await store.set('a1', { user: 'ann' })
        clock.advance(1)
        await store.set('b1', { user: 'bob' })
        await store.set('a2', { user: 'ann' })
        await store.set('anon', {})
        expect((await store.listUser('ann')).map((r) => [r.id, r.userId])).toEqual([
          ['a1', 'ann'],
          ['a2', 'ann'],
        ])
        expect(await store.listUser('nobody')).toEqual([])
      })

      test('destroyUser removes every session of the user except the ones kept', async () => {
        const store = await makeStore(byUser)
        for (const id of ['a1', 'a2', 'a3', 'a4']) await store.set(id, { user: 'ann' })
        await store.set('b1', { user: 'bob' })
        expect(await store.destroyUser('ann', { except: 'a1' })).toBe(3)
        expect((await store.listUser('ann')).map((r) => r.id)).toEqual(['a1'])
        expect(await store.get('b1')).toBeDefined()
        await store.set('a5', { user: 'ann' })
        expect(await store.destroyUser('ann', { except: ['a1', 'a5'] })).toBe(0)
        expect(await store.destroyUser('ann')).toBe(2)
        expect(await store.count()).toBe(1)
        await verify(store)
      })

      test('listUser and destroyUser refuse a store without the userId option', async () => {
        const store = await makeStore()
        await store.set('a1', { user: 'ann' })
        await expect(store.destroyUser('ann')).rejects.toThrow(
          /destroyUser needs the userId option/,
        )
        await expect(store.listUser('ann')).rejects.toBeInstanceOf(TypeError)
        expect(await store.get('a1')).toBeDefined()
      })

      test('a session that changes owner moves in the index', async () => {
        const store = await makeStore(byUser)
        await store.set('s', { user: 'ann' })
        await store.set('s', { user: 'bob' })
        expect(await store.listUser('ann')).toEqual([])
        expect((await store.listUser('bob')).map((r) => r.id)).toEqual(['s'])
        await store.set('s', {})
        expect(await store.listUser('bob')).toEqual([])
        await verify(store)
      })

      test('numeric user ids are indexed as strings; invalid ones are refused', async () => {
        const store = await makeStore(byUser)
        await store.set('s', { user: 42 })
        expect((await store.listUser('42')).map((r) => r.userId)).toEqual(['42'])
        expect((await store.listUser(42)).map((r) => r.id)).toEqual(['s'])
        await expect(store.set('t', { user: 'a\u0000b' })).rejects.toMatchObject({
          code: 'ERR_SESSION_USER_ID',
        })
        await expect(store.set('t', { user: '' })).rejects.toMatchObject({
          code: 'ERR_SESSION_USER_ID',
        })
        await expect(store.listUser({} as never)).rejects.toMatchObject({
          code: 'ERR_SESSION_USER_ID',
        })
        expect((await store.listUser(42)).map((r) => r.id)).toEqual(['s'])
        expect(await store.destroyUser(42)).toBe(1)
        expect(await store.get('t')).toBeUndefined()
      })
    })

    describe('entries, count and clear', () => {
      test('entries yields every live session and can be left early', async () => {
        const store = await makeStore()
        for (let i = 0; i < 50; i++) await store.set(`s${i}`, { i })
        const seen = new Set<string>()
        for await (const r of store.entries()) seen.add(r.id)
        expect(seen.size).toBe(50)
        let n = 0
        for await (const _ of store.entries()) if (++n === 3) break
        expect(n).toBe(3)
        expect(await store.count()).toBe(50)
      })

      test('clear removes everything', async () => {
        const store = await makeStore({ userId: (d) => d.user as string })
        for (let i = 0; i < 10; i++) await store.set(`s${i}`, { user: 'u' })
        await store.clear()
        expect(await store.count()).toBe(0)
        expect(await store.get('s1')).toBeUndefined()
        expect(await store.listUser('u')).toEqual([])
        await store.set('s1', { user: 'u' })
        expect(await store.count()).toBe(1)
        await verify(store)
      })
    })

    describe('prune', () => {
      test('prune removes only expired sessions and reports counts', async () => {
        const store = await makeStore({ maxAge: 1000, userId: (d) => d.user as string })
        const pruned: unknown[] = []
        const expired: string[] = []
        store.on('prune', (r) => pruned.push(r))
        store.on('expired', (e) => e.reason === 'prune' && expired.push(e.id))
        for (let i = 0; i < 30; i++) await store.set(`old${i}`, { user: 'u' })
        clock.advance(600)
        for (let i = 0; i < 20; i++) await store.set(`new${i}`, { user: 'u' })
        clock.advance(600)
        const result = await store.prune()
        expect(result).toMatchObject({ scanned: 30, deleted: 30 })
        expect(result.durationMs).toBeGreaterThanOrEqual(0)
        expect(pruned).toEqual([result])
        expect(expired.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `old${i}`).sort())
        expect(await store.count()).toBe(20)
        expect((await store.listUser('u')).length).toBe(20)
        expect(await store.prune()).toMatchObject({ deleted: 0 })
        await verify(store)
      })

      test('a session renewed before the sweep survives it', async () => {
        const store = await makeStore({ maxAge: 1000 })
        await store.set('a', {})
        await store.set('b', {})
        clock.advance(900)
        await store.touch('a')
        clock.advance(200)
        expect(await store.prune()).toMatchObject({ deleted: 1 })
        expect(await store.get('a')).toBeDefined()
        expect(await store.get('b')).toBeUndefined()
        await verify(store)
      })

      test('the cleaner runs at open and then on its interval', async () => {
        const store = await makeStore({ maxAge: 1000, cleanupInterval: 20 })
        let runs = 0
        await store.set('a', {})
        clock.advance(1000)
        await new Promise<void>((resolve) => {
          store.on('prune', () => {
            if (++runs === 2) resolve()
          })
        })
        expect(await store.backend.load('a')).toBeUndefined()
      })
    })

    describe('operations', () => {
      test('stats counts live and unswept expired sessions, the expiry range and users', async () => {
        const store = await makeStore({ maxAge: 10_000, userId: (d) => d.user as string })
        const t0 = clock.value
        await store.set('gone', { user: 'ann' }, { ttl: 1000 })
        await store.set('a', { user: 'ann' }, { ttl: 5000 })
        await store.set('b', { user: 'bob' })
        await store.set('c', {}, { ttl: 20_000 })
        clock.advance(2000)
        expect(await store.stats()).toMatchObject({
          sessions: 3,
          expired: 1,
          earliestExpiry: t0 + 5000,
          latestExpiry: t0 + 20_000,
          users: 2,
        })
        await store.prune()
        expect(await store.stats()).toMatchObject({ sessions: 3, expired: 0 })
      })

      test('restore writes a snapshot with its own times and user, and skips expired ones', async () => {
        // An extractor that finds no owner in data: the owner is the snapshot's own.
        const store = await makeStore({ maxAge: 10_000, userId: () => undefined })
        const snapshot = {
          id: 'r',
          data: { n: 1 },
          createdAt: clock.value - 5000,
          expiresAt: clock.value + 90_000,
          userId: 'ann',
        }
        expect(await store.restore(snapshot)).toBe(true)
        expect(await store.get('r')).toEqual(snapshot)
        expect((await store.listUser('ann')).map((r) => r.id)).toEqual(['r'])
        expect(await store.restore({ ...snapshot, id: 'old', expiresAt: clock.value })).toBe(false)
        expect(await store.get('old')).toBeUndefined()
        await expect(store.restore({ ...snapshot, id: '' })).rejects.toMatchObject({
          code: 'ERR_SESSION_ID',
        })
        await expect(store.restore({ ...snapshot, createdAt: 1.5 })).rejects.toBeInstanceOf(
          TypeError,
        )
        await expect(
          store.restore({ ...snapshot, createdAt: snapshot.expiresAt + 1 }),
        ).rejects.toBeInstanceOf(RangeError)
        // An expiry is capped at now + 100 years; a creation after that is refused.
        const far = 9e15
        await expect(
          store.restore({ ...snapshot, id: 'far', createdAt: far, expiresAt: far }),
        ).rejects.toBeInstanceOf(RangeError)
        expect(await store.backend.load('far')).toBeUndefined()
        await verify(store)
      })

      test('prune reports progress as it deletes', async () => {
        const store = await makeStore({ maxAge: 1000 })
        for (let i = 0; i < 10; i++) await store.set(`s${i}`, {})
        clock.advance(1000)
        const seen: number[] = []
        await store.prune({ onProgress: ({ deleted }) => seen.push(deleted) })
        expect(seen.at(-1)).toBe(10)
      })

      test('compact keeps every live session', async () => {
        const store = await makeStore()
        for (let i = 0; i < 20; i++) await store.set(`s${i}`, { i })
        for (let i = 0; i < 10; i++) await store.destroy(`s${i}`)
        await store.compact()
        expect(await store.count()).toBe(10)
        expect((await store.get('s15'))!.data).toEqual({ i: 15 })
      })
    })

    describe('races', () => {
      test('clear racing with writes leaves the indexes exact', async () => {
        const store = await makeStore({ userId: (d) => d.user as string })
        for (let round = 0; round < 20; round++) {
          await store.set('a', { user: 'ann' })
          await store.get('a')
          await Promise.all([
            store.set('a', { user: 'ann', round }),
            store.clear(),
            store.set('b', { user: 'ann' }),
            store.touch('a'),
          ])
          await verify(store)
          const owned = (await store.listUser('ann')).map((r) => r.id).sort()
          const live = (await Promise.all(['a', 'b'].map((id) => store.get(id))))
            .filter((r) => r !== undefined)
            .map((r) => r.id)
          expect(owned).toEqual(live)
        }
      })

      test('destroyUser never deletes a session that changed owner meanwhile', async () => {
        const store = await makeStore({ userId: (d) => d.user as string })
        await store.set('pc', { user: 'ann' })
        await store.set('phone', { user: 'ann' })
        // The owner changes between destroyUser's listing (of ids, when the backend lists them
        // alone) and its deletes.
        const backend = store.backend as Record<'listUser' | 'listUserIds', unknown>
        const name = store.backend.listUserIds === undefined ? 'listUser' : 'listUserIds'
        const original = backend[name] as (user: string) => Promise<unknown>
        backend[name] = async (user: string) => {
          const listed = await original.call(store.backend, user)
          await store.set('pc', { user: 'bob' })
          return listed
        }
        try {
          expect(await store.destroyUser('ann')).toBe(1)
        } finally {
          backend[name] = original
        }
        expect((await store.get('pc'))?.userId).toBe('bob')
        expect(await store.get('phone')).toBeUndefined()
        await verify(store)
      })

      test('destroyUser catches a session regenerated between its listing and its deletes', async () => {
        const store = await makeStore({ userId: (d) => d.user as string })
        await store.set('before', { user: 'ann' })
        const backend = store.backend as Record<'listUser' | 'listUserIds', unknown>
        const name = store.backend.listUserIds === undefined ? 'listUser' : 'listUserIds'
        const original = backend[name] as (user: string) => Promise<unknown>
        let listings = 0
        backend[name] = async (user: string) => {
          const listed = await original.call(store.backend, user)
          // A regenerate, as the adapters do it: the new id written first, then the old deleted.
          if (++listings === 1) {
            await store.set('after', { user: 'ann' })
            await store.destroy('before')
          }
          return listed
        }
        try {
          expect(await store.destroyUser('ann')).toBe(1)
        } finally {
          backend[name] = original
        }
        expect(await store.listUser('ann')).toEqual([])
        expect(await store.count()).toBe(0)
        await verify(store)
      })

      test('destroyUser of a user with more sessions than one chunk removes them all', async () => {
        const store = await makeStore({ userId: (d) => d.user as string })
        const ids = Array.from({ length: 600 }, (_, i) => `many-${i}`)
        await Promise.all(ids.map((id) => store.set(id, { user: 'ann' })))
        await store.set('bob-1', { user: 'bob' })
        expect(await store.destroyUser('ann', { except: 'many-599' })).toBe(599)
        expect((await store.listUser('ann')).map((r) => r.id)).toEqual(['many-599'])
        expect(await store.count()).toBe(2)
        await verify(store)
      })

      test('concurrent reads of one expired session report it once', async () => {
        const store = await makeStore({ maxAge: 1000 })
        const expired: string[] = []
        store.on('expired', (e) => expired.push(e.id))
        await store.set('a', {})
        clock.advance(1000)
        await Promise.all([store.get('a'), store.get('a'), store.touch('a'), store.get('a')])
        expect(expired).toEqual(['a'])
      })

      test('an async patch is awaited', async () => {
        const store = await makeStore()
        await store.set('a', { n: 1, keep: true })
        await store.touch('a', { patch: async (d) => Promise.resolve({ ...d, n: 2 }) })
        expect((await store.get('a'))!.data).toEqual({ n: 2, keep: true })
      })

      test('restore applies maxLifetime', async () => {
        const store = await makeStore({ maxAge: 10_000, maxLifetime: 60_000 })
        const createdAt = clock.value - 1000
        await store.restore({ id: 'r', data: {}, createdAt, expiresAt: clock.value + 3_600_000 })
        expect((await store.get('r'))!.expiresAt).toBe(createdAt + 60_000)
      })

      test('iterating after close rejects with ERR_STORE_CLOSED', async () => {
        const store = await makeStore()
        for (let i = 0; i < 300; i++) await store.set(`s${i}`, { i })
        const iterator = store.entries()
        await iterator.next()
        await store.close()
        await expect(
          (async () => {
            for (let i = 0; i < 300; i++) await iterator.next()
          })(),
        ).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      })
    })

    describe('close', () => {
      test('after close every call rejects with ERR_STORE_CLOSED and close is idempotent', async () => {
        const store = await makeStore()
        await store.set('a', {})
        await store.close()
        await store.close()
        expect(store.closed).toBe(true)
        const calls = [
          store.get('a'),
          store.set('a', {}),
          store.touch('a'),
          store.destroy('a'),
          store.destroyUser('u'),
          store.listUser('u'),
          store.count(),
          store.clear(),
          store.prune(),
        ]
        for (const call of calls)
          await expect(call).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
        await expect(store.entries().next()).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      })

      test('close waits for writes in flight', async () => {
        const store = await makeStore()
        const settled: string[] = []
        const writes = Array.from({ length: 20 }, (_, i) =>
          store.set(`s${i}`, { i }).then(() => settled.push(`s${i}`)),
        )
        await store.close()
        expect(settled.length).toBe(20)
        await Promise.all(writes)
      })
    })

    describe('concurrency', () => {
      test('random interleavings of set, touch and destroy on few ids keep the indexes exact', async () => {
        const store = await makeStore({
          maxAge: 10_000,
          userId: (d) => d.user as string | undefined,
        })
        const id = fc.constantFrom('a', 'b', 'c')
        const command = fc.oneof(
          fc.record({
            op: fc.constant('set' as const),
            id,
            user: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
            ttl: fc.integer({ min: 1, max: 20_000 }),
          }),
          fc.record({
            op: fc.constant('touch' as const),
            id,
            ttl: fc.integer({ min: 1, max: 20_000 }),
          }),
          fc.record({ op: fc.constant('destroy' as const), id }),
          fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
        )
        await fc.assert(
          fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
            await store.clear()
            await Promise.all(
              commands.map((c) => {
                switch (c.op) {
                  case 'set':
                    return store.set(c.id, c.user === undefined ? {} : { user: c.user }, {
                      ttl: c.ttl,
                    })
                  case 'touch':
                    return store.touch(c.id, { ttl: c.ttl })
                  case 'destroy':
                    return store.destroy(c.id)
                  case 'tick':
                    clock.advance(c.ms)
                    return store.prune()
                }
              }),
            )
            await verify(store)
            for (const key of ['a', 'b', 'c']) {
              const got = await store.get(key)
              if (got !== undefined) expect(got.expiresAt).toBeGreaterThan(clock.value)
            }
          }),
          { numRuns: suite.propertyRuns ?? 25 },
        )
      })
    })

    suite.additionalTests?.({ makeStore, clock })
  })
}

/** Fails when the backend can check its indexes and finds a problem. */
export async function verify<D>(store: SessionStore<D>): Promise<void> {
  if (store.backend.verify === undefined) return
  expect(await store.backend.verify()).toEqual([])
}
