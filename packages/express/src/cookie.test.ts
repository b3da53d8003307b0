import session from 'express-session'
import { describe, expect, it } from 'vitest'
import { cookieToStore, expiresAsJSON, sameCookie } from './cookie.js'

describe('cookieToStore', () => {
  it("stores express-session's Cookie.toJSON() shape, without undefined fields", () => {
    const cookie = new session.Cookie()
    cookie.maxAge = 1000
    cookie.sameSite = 'lax'
    const stored = cookieToStore(cookie)
    expect(stored).toEqual({
      // express-session computes it from two clock reads: 999 when a millisecond passes between.
      originalMaxAge: cookie.originalMaxAge,
      expires: expect.any(Date) as unknown,
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    })
    expect(stored.originalMaxAge).toBeGreaterThanOrEqual(990)
    expect(stored).not.toHaveProperty('_expires')
  })

  it('copies a plain cookie object and refuses a missing one', () => {
    expect(cookieToStore({ path: '/', secure: undefined })).toEqual({ path: '/' })
    expect(() => cookieToStore(undefined)).toThrow(TypeError)
  })
})

describe('expiresAsJSON', () => {
  it('gives the JSON a Date would give, byte for byte, and changes nothing else', () => {
    const live = new session.Cookie()
    live.maxAge = 60_000
    const browser = new session.Cookie()
    class LaterDate extends Date {
      override toJSON(): string {
        return 'custom'
      }
    }
    class LocalDate extends Date {
      override toISOString(): string {
        return 'local'
      }
    }
    const cookies: unknown[] = [
      live,
      browser,
      { path: '/', expires: new Date(1_750_000_000_123) },
      { path: '/', expires: new Date(0) },
      { path: '/', expires: new Date(253_402_300_799_999) }, // the last ms of year 9999
      { path: '/', expires: new Date(253_402_300_800_000) }, // year 10000: a six-digit year
      { path: '/', expires: new Date(-1) }, // before 1970
      { path: '/', expires: new Date(Number.NaN) }, // invalid: JSON gives null
      { path: '/', expires: new LaterDate(0) }, // its own toJSON is kept
      { path: '/', expires: new LocalDate(0) }, // and its own toISOString, which toJSON calls
      { path: '/', expires: '2030-01-01T00:00:00.000Z', secure: undefined },
      { path: '/', expires: null },
    ]
    for (const cookie of cookies) {
      const stored = cookieToStore(cookie)
      const before = { ...stored }
      expect(JSON.stringify(expiresAsJSON(stored))).toBe(JSON.stringify(cookie))
      for (const key of Object.keys(before)) {
        if (key !== 'expires') expect(stored[key]).toBe(before[key])
      }
      // In place and idempotent: a mutation that a backend retries converts it once.
      expect(expiresAsJSON(stored)).toBe(stored)
      expect(JSON.stringify(stored)).toBe(JSON.stringify(cookie))
    }
    expect(typeof cookieToStore(live).expires).toBe('object')
    expect(typeof expiresAsJSON(cookieToStore(live)).expires).toBe('string')
  })
})

describe('expiresAsJSON under a patched Date.prototype', () => {
  it('leaves the Date to JSON.stringify, which calls the patch', () => {
    const original = Date.prototype.toISOString
    Date.prototype.toISOString = function () {
      return `at ${this.getTime()}`
    }
    try {
      const cookie = { path: '/', expires: new Date(5) }
      const json = JSON.stringify(cookie)
      expect(json).toBe('{"path":"/","expires":"at 5"}')
      expect(JSON.stringify(expiresAsJSON(cookieToStore(cookie)))).toBe(json)
    } finally {
      Date.prototype.toISOString = original
    }
  })
})

describe('sameCookie', () => {
  const base = { originalMaxAge: 1000, expires: '2030-01-01T00:00:00.000Z', path: '/' }

  it('ignores the value of expires but not whether there is one', () => {
    expect(sameCookie(base, { ...base, expires: new Date() })).toBe(true)
    expect(sameCookie(base, { ...base, expires: null })).toBe(false)
  })

  it('sees any other change', () => {
    expect(sameCookie(base, { ...base, originalMaxAge: 2000 })).toBe(false)
    expect(sameCookie(base, { ...base, secure: true })).toBe(false)
    expect(sameCookie({ ...base, secure: true }, base)).toBe(false)
    expect(sameCookie({ ...base, domain: 'a.example' }, { ...base, domain: 'b.example' })).toBe(
      false,
    )
    expect(sameCookie(undefined, base)).toBe(false)
  })

  it('treats a missing field, undefined and null alike, and compares objects by value', () => {
    expect(sameCookie({ ...base, secure: null }, base)).toBe(true)
    expect(sameCookie(base, { ...base, domain: undefined })).toBe(true)
    expect(sameCookie({ ...base, extra: { a: 1 } }, { ...base, extra: { a: 1 } })).toBe(true)
    expect(sameCookie({ ...base, extra: { a: 1 } }, { ...base, extra: { a: 2 } })).toBe(false)
    expect(sameCookie({ ...base, extra: { a: 1 } }, { ...base, extra: 'x' })).toBe(false)
  })
})
