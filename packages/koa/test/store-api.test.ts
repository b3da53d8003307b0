/**
 * The store's own API, called directly as koa-session and koa-generic-session call it.
 */
import { join } from 'node:path'
import { createSessionStore } from '@levelsession/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { LevelSessionStore } from '../src/index.js'
import { manualClock, openStore, tempDir } from './helpers.js'

const HOUR = 3_600_000

describe('set and get', () => {
  it("round-trips koa-session's _expire, _maxAge and _session unchanged", async () => {
    const store = await openStore()
    const timed = { views: 2, nested: { a: [1, 'b'] }, _expire: 1_900_000_000_123, _maxAge: 60_000 }
    const browser = { views: 1, _session: true }
    await store.set('timed', timed, 70_000, { rolling: false, changed: true, ctx: {} })
    await store.set('browser', browser, 'session', { rolling: false, changed: true, ctx: {} })
    expect(await store.get('timed', 60_000, { rolling: false, ctx: {} })).toEqual(timed)
    expect(await store.get('browser', 'session', { rolling: false, ctx: {} })).toEqual(browser)
  })

  it("uses maxAge as the TTL, and the store's maxAge for 'session' or none", async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now, maxAge: HOUR })
    await store.set('n', { a: 1 }, 70_000)
    await store.set('s', { a: 1 }, 'session')
    await store.set('u', { a: 1 }, undefined)
    await store.set('g', { a: 1 }) // koa-generic-session without a ttl
    expect((await store.core.get('n'))!.expiresAt).toBe(clock.now() + 70_000)
    for (const key of ['s', 'u', 'g']) {
      expect((await store.core.get(key))!.expiresAt).toBe(clock.now() + HOUR)
    }
  })

  it('never skips a write because changed is false', async () => {
    const store = await openStore()
    await store.set('k', { v: 1 }, 70_000, { rolling: false, changed: true })
    await store.set('k', { v: 2 }, 70_000, { rolling: false, changed: false })
    expect(await store.get('k')).toEqual({ v: 2 })
  })

  it('a lifetime of zero or less deletes instead of storing', async () => {
    const store = await openStore()
    await store.set('k', { v: 1 }, 70_000)
    await store.set('k', { v: 2 }, -5)
    expect(await store.get('k')).toBeNull()
  })

  it('caps huge lifetimes and refuses lifetimes of the wrong type', async () => {
    const clock = manualClock()
    const store = await openStore({ now: clock.now })
    await store.set('k', { v: 1 }, Number.POSITIVE_INFINITY)
    expect((await store.core.get('k'))!.expiresAt).toBe(clock.now() + 100 * 365 * 86_400_000)
    await expect(store.set('k', { v: 1 }, '1000' as never)).rejects.toThrow(TypeError)
    await expect(store.set('k', { v: 1 }, Number.NaN)).rejects.toThrow(RangeError)
    await expect(store.set('k', null as never, 1000)).rejects.toThrow(/sess must be an object/)
  })

  it('answers null for unknown keys, invalid keys and records that are not objects', async () => {
    const store = await openStore()
    expect(await store.get('nobody')).toBeNull()
    expect(await store.get('x'.repeat(300))).toBeNull()
    expect(await store.get(42 as never)).toBeNull()
    await store.core.set('list', [1, 2] as never)
    expect(await store.get('list')).toBeNull()
    await expect(store.set('x'.repeat(300), { a: 1 }, 1000)).rejects.toMatchObject({
      code: 'ERR_SESSION_ID',
    })
  })

  it('destroy is idempotent, including for keys never written', async () => {
    const store = await openStore()
    await store.set('k', { v: 1 }, 70_000)
    await store.destroy('k', { ctx: {} })
    await store.destroy('k', { ctx: {} })
    await store.destroy('never-written')
    await store.destroy('x'.repeat(300))
    expect(await store.get('k')).toBeNull()
  })
})

describe('destroyUser', () => {
  it('accepts numeric user ids and an except list', async () => {
    const store = await openStore({ userId: (sess) => sess.uid as number })
    await store.set('a', { uid: 7 }, 70_000)
    await store.set('b', { uid: 7 }, 70_000)
    await store.set('c', { uid: 8 }, 70_000)
    expect(await store.destroyUser(7, { except: 'a' })).toBe(1)
    expect(await store.get('a')).not.toBeNull()
    expect(await store.get('b')).toBeNull()
    expect(await store.get('c')).not.toBeNull()
  })
})

describe('options', () => {
  it('rejects bad options when constructed, naming them', async () => {
    const existing = createSessionStore({ path: join(await tempDir(), 's'), cleanupInterval: 0 })
    onTestFinished(() => existing.close())
    expect(() => new LevelSessionStore(undefined as never)).toThrow(
      /LevelSessionStore: .*undefined/,
    )
    expect(() => new LevelSessionStore({})).toThrow(/options\.path/)
    expect(() => new LevelSessionStore({ path: 1 as never })).toThrow(/options\.path/)
    expect(() => new LevelSessionStore({ path: 'x', maxAge: -1 })).toThrow(RangeError)
    expect(() => new LevelSessionStore({ path: 'x', maxAge: -1 })).toThrow(/options\.maxAge/)
    expect(() => new LevelSessionStore({ path: 'x', userId: 'user' as never })).toThrow(
      /options\.userId/,
    )
    expect(() => new LevelSessionStore({ store: existing, maxAge: 5 } as never)).toThrow(
      /options\.maxAge cannot be set here/,
    )
    expect(() => new LevelSessionStore({ store: { get() {} } as never })).toThrow(
      /options\.store must be a store from createSessionStore/,
    )
  })

  it('shares an existing core store and leaves it open on close', async () => {
    const core = createSessionStore({ path: join(await tempDir(), 's'), cleanupInterval: 0 })
    onTestFinished(() => core.close())
    const store = new LevelSessionStore({ store: core })
    await store.set('k', { v: 1 }, 70_000)
    await store.close()
    await store.close()
    expect((await core.get('k'))!.data).toEqual({ v: 1 })
  })

  it('closes a store it created; close is idempotent; sessions survive a reopen', async () => {
    const path = join(await tempDir(), 's')
    const first = new LevelSessionStore({ path, cleanupInterval: 0 })
    await first.set('k', { v: 1 }, 70_000)
    await Promise.all([first.close(), first.close()])
    await expect(first.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
    const second = new LevelSessionStore({ path, cleanupInterval: 0 })
    onTestFinished(() => second.close())
    expect(await second.get('k')).toEqual({ v: 1 })
  })
})
