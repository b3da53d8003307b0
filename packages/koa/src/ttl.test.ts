import { describe, expect, it } from 'vitest'
import { MAX_TTL } from '@levelsession/core'
import { ttlFromMaxAge } from './ttl.js'

describe('ttlFromMaxAge', () => {
  it("falls back to the store's maxAge for 'session', undefined and null", () => {
    for (const value of ['session', undefined, null]) {
      expect(ttlFromMaxAge(value)).toEqual({ expired: false, ttl: undefined })
    }
  })

  it('keeps numbers as whole ms, capped, and treats zero or less as expired', () => {
    expect(ttlFromMaxAge(86_410_000)).toEqual({ expired: false, ttl: 86_410_000 })
    expect(ttlFromMaxAge(0.2)).toEqual({ expired: false, ttl: 1 })
    expect(ttlFromMaxAge(Number.POSITIVE_INFINITY)).toEqual({ expired: false, ttl: MAX_TTL })
    expect(ttlFromMaxAge(0)).toEqual({ expired: true })
    expect(ttlFromMaxAge(-1)).toEqual({ expired: true })
  })

  it('names the argument when refusing other values', () => {
    expect(() => ttlFromMaxAge('1 day')).toThrow(/^maxAge must be .*"1 day"/)
    expect(() => ttlFromMaxAge({}, 'ttl')).toThrow(TypeError)
    expect(() => ttlFromMaxAge(Number.NaN)).toThrow(RangeError)
  })
})
