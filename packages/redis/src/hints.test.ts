import { describe, expect, it } from 'vitest'
import { HintCache } from './hints.js'
import { ABSENT, newToken } from './record.js'

const hint = (id: string, size: number) => ({
  token: newToken(),
  session: { id, value: new Uint8Array(size), createdAt: 1, expiresAt: 2 },
  corrupt: false,
})

/** What one hint of `size` value bytes under a one-character id counts for. */
const cost = (size: number) => 128 + 2 + 2 * newToken().length + size

describe('HintCache', () => {
  it('evicts an entry not used since the hand last passed, before one used meanwhile', () => {
    const cache = new HintCache(2 * cost(300) + 10)
    cache.set('a', hint('a', 300))
    cache.set('b', hint('b', 300))
    expect(cache.get('a')).toBeDefined() // a is used: b goes first
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
    cache.set('big', hint('small first', 10))
    cache.set('big', hint('big', 1000))
    expect(cache.get('big')).toBeUndefined()
    const off = new HintCache(0)
    off.set('a', hint('a', 1))
    expect(off.get('a')).toBeUndefined()
  })

  it('counts a session rewritten many times once', () => {
    const cache = new HintCache(3 * cost(50) + 20) // tokens grow a character now and then
    cache.set('b', hint('b', 50))
    cache.set('c', hint('c', 50))
    for (let i = 0; i < 50; i++) cache.set('a', hint('a', 50))
    expect(cache.get('b')).toBeDefined()
    expect(cache.get('c')).toBeDefined()
    expect(cache.get('a')).toBeDefined()
  })

  it('tells a hint confirmed within the last ms from an older or replaced one', async () => {
    const cache = new HintCache(10_000)
    const first = hint('a', 10)
    cache.set('a', first)
    expect(cache.isRecent('a', first, 1000)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(cache.isRecent('a', first, 5)).toBe(false)
    cache.set('a', hint('a', 10))
    expect(cache.isRecent('a', first, 1000)).toBe(false)
  })
})
