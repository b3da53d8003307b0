import session from 'express-session'
import { describe, expect, it } from 'vitest'
import { cookieToStore, sameCookie } from './cookie.js'

describe('cookieToStore', () => {
  it("stores express-session's Cookie.toJSON() shape, without undefined fields", () => {
    const cookie = new session.Cookie()
    cookie.maxAge = 1000
    cookie.sameSite = 'lax'
    const stored = cookieToStore(cookie)
    expect(stored).toEqual({
      originalMaxAge: 1000,
      expires: expect.any(Date) as unknown,
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    })
    expect(stored).not.toHaveProperty('_expires')
  })

  it('copies a plain cookie object and refuses a missing one', () => {
    expect(cookieToStore({ path: '/', secure: undefined })).toEqual({ path: '/' })
    expect(() => cookieToStore(undefined)).toThrow(TypeError)
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
