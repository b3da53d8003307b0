import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { resolveOptions } from './options.js'

const db = new MemoryLevel()
const check = (options: Record<string, unknown>) => () => resolveOptions({ db, ...options })

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveOptions({ db })).toMatchObject({
      maxAge: 86_400_000,
      expiry: 'sliding',
      maxLifetime: undefined,
      touchAfter: 60_000,
      cleanupInterval: 60_000,
      durability: 'relaxed',
      maxSessionBytes: 1_048_576,
      cacheSize: 20_000,
      cacheBytes: 64 * 1024 * 1024,
    })
    // A tenth of a short maxAge; touchAfter must stay below maxAge.
    expect(resolveOptions({ db, maxAge: 30_000 }).touchAfter).toBe(3000)
    expect(resolveOptions({ db, maxAge: 1 }).touchAfter).toBe(0)
    expect(resolveOptions({ db, maxAge: 30_000, touchAfter: 0 }).touchAfter).toBe(0)
  })

  it.each([
    ['maxAge', '1d', TypeError],
    ['maxAge', 0, RangeError],
    ['maxAge', -5, RangeError],
    ['maxAge', Infinity, RangeError],
    ['maxAge', NaN, RangeError],
    ['expiry', 'rolling', RangeError],
    ['expiry', 1, TypeError],
    ['maxLifetime', 0, RangeError],
    ['touchAfter', -1, RangeError],
    ['touchAfter', '1', TypeError],
    ['cleanupInterval', -1, RangeError],
    ['userId', 'user', TypeError],
    ['codec', { encode: JSON.stringify }, TypeError],
    ['durability', 'fsync', RangeError],
    ['maxSessionBytes', 1.5, RangeError],
    ['maxSessionBytes', '1', TypeError],
    ['cacheSize', -1, RangeError],
    ['cacheBytes', -1, RangeError],
    ['cacheBytes', '64MB', TypeError],
    ['now', 5, TypeError],
  ])('options.%s = %j throws a %o naming it', (name, value, type) => {
    expect(check({ [name]: value })).toThrow(type)
    expect(check({ [name]: value })).toThrow(`options.${name}`)
  })

  it('refuses a touchAfter that is not below maxAge, and timers too long for setTimeout', () => {
    expect(check({ maxAge: 1000, touchAfter: 1000 })).toThrow(RangeError)
    expect(check({ maxAge: 1000, touchAfter: 1000 })).toThrow('options.touchAfter')
    expect(check({ cleanupInterval: 30 * 86_400_000 })).toThrow('options.cleanupInterval')
    expect(check({ cleanupInterval: 2_147_483_647 })).not.toThrow()
  })

  it('needs exactly one of path, db and backend, each of the right kind', () => {
    expect(() => resolveOptions({})).toThrow(
      /exactly one of options.path, options.db and options.backend/,
    )
    expect(() => resolveOptions({ path: '/tmp/x', db })).toThrow(TypeError)
    expect(() => resolveOptions({ path: 42 as unknown as string })).toThrow('options.path')
    expect(() => resolveOptions({ db: {} })).toThrow('options.db')
    expect(() => resolveOptions({ backend: { open() {} } as never })).toThrow(
      /missing the method\(s\): load/,
    )
    expect(() => resolveOptions(null as never)).toThrow(TypeError)
  })
})
