import { describe, expect, it } from 'vitest'
import { HintCache } from './hints.js'
import { ABSENT, newToken } from './record.js'

const hint = (id: string, size: number) => ({
  token: newToken(),
  session: { id, value: new Uint8Array(size), createdAt: 1, expiresAt: 2 },
  corrupt: false,
})

describe('HintCache', () => {
  it('evicts the least recently used entries beyond its byte budget (two generations)', () => {
    const cache = new HintCache(1000)
    cache.set('a', hint('a', 300))
    cache.set('b', hint('b', 300))
    expect(cache.get('a')).toBeDefined() // a is now the most recent
    cache.set('c', hint('c', 300))
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBeDefined()
    expect(cache.get('c')).toBeDefined()
  })

  it('keeps nothing for absent sessions, oversized ones, or a zero budget', () => {
    const cache = new HintCache(500)
    cache.set('a', hint('a', 10))
    cache.set('a', ABSENT)
    expect(cache.get('a')).toBeUndefined()
    cache.set('big', hint('big', 1000))
    expect(cache.get('big')).toBeUndefined()
    const off = new HintCache(0)
    off.set('a', hint('a', 1))
    expect(off.get('a')).toBeUndefined()
  })

  it('counts a session rewritten many times once, wherever its hint lives', () => {
    const cache = new HintCache(1000) // generations of 500 bytes; each hint counts 96 + 2 + 50
    cache.set('b', hint('b', 50))
    cache.set('c', hint('c', 50))
    for (let i = 0; i < 20; i++) cache.set('a', hint('a', 50))
    expect(cache.get('b')).toBeDefined()
    expect(cache.get('c')).toBeDefined()
    cache.set('d', hint('d', 50)) // 592 bytes: the young generation becomes the old one
    for (let i = 0; i < 20; i++) cache.set('a', hint('a', 50)) // moved back, then rewritten
    cache.set('e', hint('e', 50))
    expect(cache.get('b')).toBeDefined()
    expect(cache.get('d')).toBeDefined()
  })
})
