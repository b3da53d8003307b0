import { describe, expect, it } from 'vitest'
import { checkPrefix, globEscape, KeyLayout } from './keys.js'

describe('KeyLayout', () => {
  const keys = new KeyLayout('sess:', 16)

  it('puts a session and the indexes of its bucket under one hash tag', () => {
    const b = keys.bucketOf('abc')
    expect(keys.session('abc')).toBe(`sess:{${b}}s:abc`)
    expect(keys.expiry(b)).toBe(`sess:{${b}}x`)
    expect(keys.owners(b)).toBe(`sess:{${b}}o`)
    expect(keys.user(b, 'ann')).toBe(`sess:{${b}}u:ann`)
    expect(keys.meta).toBe('sess:meta')
  })

  it('spreads ids over every bucket and keeps the same bucket for an id (every layout version)', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) seen.add(keys.bucketOf(`id-${i}`))
    expect(seen.size).toBe(16)
    // Changing the hash would orphan stored sessions: FNV-1a of 'a' is pinned here.
    expect(keys.bucketOf('a')).toBe(0xe40c292c % 16)
    expect(new KeyLayout('p:', 1000).bucketOf('a')).toBe(0xe40c292c % 1000)
  })

  it('parses its own keys, with braces and colons inside ids, and refuses others', () => {
    const id = 'we{ird}:id'
    const b = keys.bucketOf(id)
    expect(keys.parse(keys.session(id))).toEqual({ bucket: b, kind: 's', name: id })
    expect(keys.parse(keys.user(3, 'u:{1}'))).toEqual({ bucket: 3, kind: 'u', name: 'u:{1}' })
    expect(keys.parse(keys.expiry(15))).toEqual({ bucket: 15, kind: 'x', name: '' })
    expect(keys.parse('sess:{16}x')).toBeUndefined()
    expect(keys.parse('sess:meta')).toBeUndefined()
    expect(keys.parse('other:{1}x')).toBeUndefined()
  })
})

describe('checkPrefix and globEscape', () => {
  it('refuses prefixes with hash-tag braces or of the wrong type', () => {
    expect(checkPrefix('app:sess:')).toBe('app:sess:')
    expect(checkPrefix('')).toBe('')
    for (const bad of ['a{b}', '{', '}', 1, null]) {
      expect(() => checkPrefix(bad)).toThrow(TypeError)
    }
  })

  it('escapes glob characters', () => {
    expect(globEscape('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\')
  })
})
