import { describe, expect, it } from 'vitest'
import { MAX_TTL } from './options.js'
import { ttlFromCookie } from './ttl.js'

const now = Date.parse('2030-01-01T00:00:00.000Z')

describe('ttlFromCookie', () => {
  it('uses the time left until expires (Date, ISO string or epoch ms)', () => {
    for (const expires of [new Date(now + 5000), new Date(now + 5000).toISOString(), now + 5000]) {
      expect(ttlFromCookie({ expires, maxAge: 99 }, now)).toEqual({ expired: false, ttl: 5000 })
    }
  })

  it('falls back to maxAge when expires is absent or not a date', () => {
    expect(ttlFromCookie({ expires: null, maxAge: 7000 }, now)).toEqual({
      expired: false,
      ttl: 7000,
    })
    expect(ttlFromCookie({ expires: 'soon', maxAge: 7000 }, now)).toEqual({
      expired: false,
      ttl: 7000,
    })
  })

  it('leaves browser-session cookies to the store maxAge', () => {
    for (const cookie of [undefined, null, {}, { expires: null, maxAge: null }]) {
      expect(ttlFromCookie(cookie, now)).toEqual({ expired: false, ttl: undefined })
    }
  })

  it('says expired when the lifetime is over', () => {
    expect(ttlFromCookie({ expires: new Date(now) }, now)).toEqual({ expired: true })
    expect(ttlFromCookie({ expires: now - 1 }, now)).toEqual({ expired: true })
    expect(ttlFromCookie({ maxAge: 0 }, now)).toEqual({ expired: true })
    expect(ttlFromCookie({ maxAge: -5 }, now)).toEqual({ expired: true })
  })

  it('rounds up to whole milliseconds and caps at MAX_TTL', () => {
    expect(ttlFromCookie({ maxAge: 0.2 }, now)).toEqual({ expired: false, ttl: 1 })
    expect(ttlFromCookie({ maxAge: Infinity }, now)).toEqual({ expired: false, ttl: MAX_TTL })
    expect(ttlFromCookie({ expires: new Date('9999-12-31') }, now)).toEqual({
      expired: false,
      ttl: MAX_TTL,
    })
  })
})
