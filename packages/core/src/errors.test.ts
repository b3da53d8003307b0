import { inspect } from 'node:util'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { createSessionStore } from './index.js'
import { SessionDecodeError } from './errors.js'

const ID = 'secret-session-id-0123456789abcdef'

describe('errors about one session keep its id, a credential, out of logs', () => {
  it('too large, not encodable, not decodable: the id is a property, not in the message or inspect', async () => {
    const store = createSessionStore({
      db: new MemoryLevel(),
      maxSessionBytes: 100,
      cleanupInterval: 0,
    })
    const tooLarge = await store.set(ID, { note: 'x'.repeat(200) }).catch((e: unknown) => e)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const unencodable = await store.set(ID, cyclic).catch((e: unknown) => e)
    const undecodable = new SessionDecodeError(ID, new Error('bad bytes'))
    for (const error of [tooLarge, unencodable, undecodable] as Error[]) {
      expect(error).toHaveProperty('id', ID)
      expect(error.message).not.toContain(ID)
      expect(inspect(error)).not.toContain(ID)
      expect(JSON.stringify(error)).not.toContain(ID)
    }
    expect(tooLarge).toMatchObject({ code: 'ERR_SESSION_TOO_LARGE', size: 211, limit: 100 })
    expect(unencodable).toMatchObject({ code: 'ERR_SESSION_ENCODE' })
    await store.close()
  })

  it('a JSON syntax error is reported by its kind: V8 quotes the stored text, which may hold secrets', () => {
    let parseError: unknown
    try {
      JSON.parse('pw=hunter2')
    } catch (error) {
      parseError = error
    }
    expect(String(parseError)).toContain('hunter2')
    const error = new SessionDecodeError(ID, parseError)
    expect(error.message).toBe(
      'A stored session could not be decoded: the codec could not parse the stored text (SyntaxError)',
    )
    expect(inspect(error)).not.toContain('hunter2')
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })
})
