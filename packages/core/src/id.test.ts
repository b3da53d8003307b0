import { describe, expect, it } from 'vitest'
import { generateSessionId, isValidSessionId } from './id.js'

describe('generateSessionId', () => {
  it('makes URL-safe ids of 192 random bits that never repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, generateSessionId))
    expect(ids.size).toBe(10_000)
    for (const id of [...ids].slice(0, 100)) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
      expect(Buffer.from(id, 'base64url').length).toBe(24)
      expect(isValidSessionId(id)).toBe(true)
    }
  })
})

describe('isValidSessionId', () => {
  it('accepts 1 to 256 well-formed characters and nothing else', () => {
    expect(isValidSessionId('a')).toBe(true)
    expect(isValidSessionId('a'.repeat(256))).toBe(true)
    expect(isValidSessionId('a'.repeat(257))).toBe(false)
    expect(isValidSessionId('')).toBe(false)
    expect(isValidSessionId('\udc00x')).toBe(false)
    expect(isValidSessionId(1)).toBe(false)
    expect(isValidSessionId(null)).toBe(false)
  })
})
