import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LruCache } from './lru.js'

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1)
    cache.set('c', 3)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe(1)
    expect(cache.get('c')).toBe(3)
    cache.set('a', 10)
    cache.set('d', 4)
    expect(cache.get('c')).toBeUndefined()
    expect(cache.get('a')).toBe(10)
    expect(cache.size).toBe(2)
  })

  it('holds nothing with capacity 0, and delete and clear forget', () => {
    const none = new LruCache<number>(0)
    none.set('a', 1)
    expect(none.get('a')).toBeUndefined()
    const cache = new LruCache<number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.delete('a')
    cache.delete('missing')
    expect(cache.get('a')).toBeUndefined()
    cache.clear()
    expect(cache.size).toBe(0)
    cache.set('c', 3)
    expect(cache.get('c')).toBe(3)
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
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 80 }), (cap, ops) => {
        const cache = new LruCache<number>(cap)
        // Oldest first. A hit moves an entry to the front unless it moved there within the last
        // cap/4 moves (exact LRU below capacity 4).
        const model: { key: string; value: number; stamp: number }[] = []
        let pushes = 0
        const fresh = cap >> 2
        for (const o of ops) {
          const key = String(o.k)
          const at = model.findIndex((e) => e.key === key)
          if (o.t === 'get') {
            expect(cache.get(key)).toBe(at < 0 ? undefined : model[at]!.value)
            if (at >= 0 && at !== model.length - 1 && pushes - model[at]!.stamp > fresh) {
              const [moved] = model.splice(at, 1)
              model.push({ ...moved!, stamp: ++pushes })
            }
          } else if (o.t === 'del') {
            cache.delete(key)
            if (at >= 0) model.splice(at, 1)
          } else {
            cache.set(key, o.v)
            if (at >= 0) {
              const [old] = model.splice(at, 1)
              const last = at === model.length
              model.push({ key, value: o.v, stamp: last ? old!.stamp : ++pushes })
            } else {
              model.push({ key, value: o.v, stamp: ++pushes })
            }
            if (model.length > cap) model.shift()
          }
          expect(cache.size).toBe(model.length)
        }
      }),
    )
  })
})
