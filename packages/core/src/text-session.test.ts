import { describe, expect, it } from 'vitest'
import type { StoredSession } from './types.js'
import { compactSession, textSession } from './text-session.js'

const bytes = (...b: number[]) => new Uint8Array(b)
const session = (value: Uint8Array, text?: string): StoredSession => ({
  id: 'a',
  value,
  createdAt: 1,
  expiresAt: 2,
  userId: 'u',
  ...(text === undefined ? {} : { text }),
})

describe('text sessions in the cache', () => {
  it('keeps the string and gives back the same bytes and fields', () => {
    const text = '{"name":"Zoë ✓"}'
    const compact = compactSession(session(new TextEncoder().encode(text), text))
    expect(compact.text).toBe(text)
    expect(compact.value).toEqual(new TextEncoder().encode(text))
    expect(compact).toMatchObject({ id: 'a', createdAt: 1, expiresAt: 2, userId: 'u' })
    expect(compactSession(compact)).toBe(compact)
  })

  it('leaves a session without text, or bytes that are not plain UTF-8, as they are', () => {
    const binary = session(bytes(0x82, 0xa1, 0x61))
    expect(compactSession(binary)).toBe(binary)
    expect(textSession(binary)).toBe(binary)
    const bom = session(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d))
    expect(textSession(bom)).toBe(bom)
    const read = textSession(session(bytes(0x7b, 0x7d)))
    expect(read.text).toBe('{}')
    expect(read.value).toEqual(bytes(0x7b, 0x7d))
    const anonymous = textSession({ id: 'b', value: bytes(0x31), createdAt: 1, expiresAt: 2 })
    expect(anonymous.userId).toBeUndefined()
  })
})
