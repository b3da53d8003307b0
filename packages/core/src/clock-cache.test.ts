import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ClockCache } from './clock-cache.js'

describe('ClockCache', () => {
  it('evicts an entry not used since the hand last passed, and keeps used ones', () => {
    const cache = new ClockCache<number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('c', 3)
    expect(cache.get('a')).toBe(1)
    // 'a' was used: its second chance passes, 'b' goes.
    cache.set('d', 4)
    expect(cache.get('b')).toBeUndefined()
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4])
    cache.set('a', 10)
    expect(cache.get('a')).toBe(10)
    expect(cache.size).toBe(3)
  })

  it('a hot working set survives a stream of entries read once', () => {
    const cache = new ClockCache<number>(100)
    for (let i = 0; i < 50; i++) cache.set(`hot${i}`, i)
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) expect(cache.get(`hot${i}`)).toBe(i)
      for (let i = 0; i < 40; i++) cache.set(`cold${round}-${i}`, i)
    }
    expect(cache.size).toBe(100)
  })

  it('holds nothing with capacity 0, and delete and clear forget', () => {
    const none = new ClockCache<number>(0)
    none.set('a', 1)
    expect(none.get('a')).toBeUndefined()
    expect(none.size).toBe(0)
    const cache = new ClockCache<number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.delete('a')
    cache.delete('missing')
    expect(cache.get('a')).toBeUndefined()
    cache.set('c', 3)
    cache.set('d', 4)
    expect(cache.size).toBe(3)
    cache.clear()
    expect(cache.size).toBe(0)
    cache.set('e', 5)
    expect(cache.get('e')).toBe(5)
    expect(cache.get('b')).toBeUndefined()
  })

  it('behaves like a reference model under random operations', () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('set' as const),
        k: fc.integer({ min: 0, max: 14 }),
        v: fc.integer(),
      }),
      fc.record({ t: fc.constant('get' as const), k: fc.integer({ min: 0, max: 14 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 14 }) }),
      fc.record({ t: fc.constant('clear' as const) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(op, { maxLength: 120 }), (cap, ops) => {
        const cache = new ClockCache<number>(cap)
        // Slots in a ring: [key, value, used] or null; the hand; freed slots reused last-in first.
        let ring: ([string, number, boolean] | null)[] = []
        let hand = 0
        let free: number[] = []
        const find = (key: string) => ring.findIndex((e) => e !== null && e[0] === key)
        for (const o of ops) {
          if (o.t === 'clear') {
            cache.clear()
            ring = []
            hand = 0
            free = []
            continue
          }
          const key = String(o.k)
          const at = find(key)
          if (o.t === 'get') {
            expect(cache.get(key)).toBe(at < 0 ? undefined : ring[at]![1])
            if (at >= 0) ring[at]![2] = true
          } else if (o.t === 'del') {
            cache.delete(key)
            if (at >= 0) {
              ring[at] = null
              free.push(at)
            }
          } else {
            cache.set(key, o.v)
            if (cap === 0) continue
            if (at >= 0) ring[at] = [key, o.v, true]
            else {
              let slot = free.pop()
              if (slot === undefined && ring.length < cap) slot = ring.length
              while (slot === undefined) {
                const e = ring[hand]!
                const here = hand
                hand = (hand + 1) % cap
                if (e[2]) e[2] = false
                else slot = here
              }
              ring[slot] = [key, o.v, false]
            }
          }
          expect(cache.size).toBe(ring.filter((e) => e !== null).length)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('keeps the bytes within their bound: unused entries go first, the one written stays', () => {
    const cache = new ClockCache<string>(100, 10, (v) => v.length)
    cache.set('a', 'xxxx')
    cache.set('b', 'xxxx')
    cache.get('a') // used: survives the next sweep
    cache.set('c', 'xxxx') // 12 bytes: b goes
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['xxxx', undefined, 'xxxx'])
    expect(cache.bytes).toBe(8)
    // Growing an entry in place makes room the same way.
    cache.set('c', 'xxxxxxxx')
    expect(cache.get('c')).toBe('xxxxxxxx')
    expect(cache.get('a')).toBeUndefined()
    expect(cache.bytes).toBe(8)
    // Larger than the whole bound: not kept, and the key's older value is dropped too.
    cache.set('c', 'x'.repeat(11))
    expect(cache.get('c')).toBeUndefined()
    expect([cache.size, cache.bytes]).toEqual([0, 0])
  })

  it('counts bytes exactly and stays within both bounds under random operations', () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('set' as const),
        k: fc.integer({ min: 0, max: 14 }),
        n: fc.integer({ min: 0, max: 12 }),
      }),
      fc.record({ t: fc.constant('get' as const), k: fc.integer({ min: 0, max: 14 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 14 }) }),
      fc.record({ t: fc.constant('clear' as const) }),
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(op, { maxLength: 150 }),
        (cap, max, ops) => {
          const cache = new ClockCache<string>(cap, max, (v) => v.length)
          const present = new Map<string, string>()
          for (const o of ops) {
            const key = 'k' in o ? String(o.k) : ''
            if (o.t === 'clear') {
              cache.clear()
              present.clear()
            } else if (o.t === 'del') {
              cache.delete(key)
              present.delete(key)
            } else if (o.t === 'get') {
              const got = cache.get(key)
              // Whatever is still held is the last value written under that key.
              if (got !== undefined) expect(got).toBe(present.get(key))
            } else {
              const value = 'x'.repeat(o.n)
              cache.set(key, value)
              present.set(key, value)
              // What was just written stays, unless it is larger than the whole bound.
              expect(cache.get(key)).toBe(o.n > max ? undefined : value)
            }
            let sum = 0
            for (const k of present.keys()) sum += cache.get(k)?.length ?? 0
            expect(cache.bytes).toBe(sum)
            expect(cache.bytes).toBeLessThanOrEqual(max)
            expect(cache.size).toBeLessThanOrEqual(cap)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
