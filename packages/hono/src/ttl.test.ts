import { describe, expect, it } from 'vitest'
import { cookieMaxAge, MAX_COOKIE_AGE_SECONDS } from './cookie.js'
import { assertNodeRuntime, NODE_ONLY_MESSAGE } from './runtime.js'
import { renewDue } from './ttl.js'
import { ttlFromDuration } from './hono-session/index.js'

describe('lifetimes', () => {
  it('cookieMaxAge: ms to seconds, rounded up, capped at 400 days', () => {
    expect(cookieMaxAge(1)).toBe(1)
    expect(cookieMaxAge(1000)).toBe(1)
    expect(cookieMaxAge(1001)).toBe(2)
    expect(cookieMaxAge(86_400_000)).toBe(86_400)
    expect(cookieMaxAge(401 * 86_400_000)).toBe(MAX_COOKIE_AGE_SECONDS)
    expect(MAX_COOKIE_AGE_SECONDS).toBe(34_560_000)
  })

  it('renewDue: when less than half of the lifetime is left', () => {
    expect(renewDue(10_000, 10_000, 0)).toBe(false)
    expect(renewDue(10_000, 10_000, 5000)).toBe(false)
    expect(renewDue(10_000, 10_000, 5001)).toBe(true)
  })

  it("ttlFromDuration: @hono/session's seconds to ms, the shorter of the two", () => {
    expect(ttlFromDuration(undefined)).toBeUndefined()
    expect(ttlFromDuration({ absolute: 3600 })).toBe(3_600_000)
    expect(ttlFromDuration({ absolute: 3600, inactivity: 600 })).toBe(600_000)
    expect(ttlFromDuration({ absolute: 600, inactivity: 3600 })).toBe(600_000)
    expect(() => ttlFromDuration({ absolute: 0 })).toThrow(RangeError)
    expect(() => ttlFromDuration({ absolute: 60, inactivity: -1 })).toThrow(/inactivity/)
    expect(() => ttlFromDuration(60 as never)).toThrow(TypeError)
  })

  it('assertNodeRuntime passes on Node.js and explains itself elsewhere', () => {
    expect(() => assertNodeRuntime()).not.toThrow()
    const { process: saved } = globalThis
    try {
      Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true })
      expect(() => assertNodeRuntime()).toThrow(NODE_ONLY_MESSAGE)
    } finally {
      Object.defineProperty(globalThis, 'process', { value: saved, configurable: true })
    }
    expect(NODE_ONLY_MESSAGE).toMatch(/Node\.js only.*classic-level.*@hono\/node-server/)
  })
})
