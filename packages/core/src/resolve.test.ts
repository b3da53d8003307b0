import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { resolveStore } from './resolve.js'
import { createSessionStore } from './store.js'

async function path(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-resolve-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'db')
}

describe('resolveStore', () => {
  it('creates and owns a store from options', async () => {
    const { store, owned } = resolveStore({ path: await path(), cleanupInterval: 0 }, 'Test')
    onTestFinished(() => store.close())
    expect(owned).toBe(true)
    await store.ready()
  })

  it('returns an existing store without owning it', async () => {
    const existing = createSessionStore({ path: await path() })
    onTestFinished(() => existing.close())
    expect(resolveStore({ store: existing }, 'Test')).toEqual({ store: existing, owned: false })
  })

  it('names the caller in its TypeErrors', async () => {
    expect(() => resolveStore(null as never, 'Test')).toThrow(/^Test: .*got null/)
    expect(() => resolveStore({ maxAge: 5 } as never, 'Test')).toThrow(
      /^Test: give options\.path .*options\.db, options\.backend or options\.store/,
    )
    expect(() => resolveStore({ store: { get() {} } } as never, 'Test')).toThrow(/missing ready/)
    expect(() => resolveStore({ store: null } as never, 'Test')).toThrow(
      /^Test: options.store must be a store from createSessionStore, got null$/,
    )
    expect(() => resolveStore({ store: 'db' } as never, 'Test')).toThrow(/got string$/)
    const existing = createSessionStore({ path: await path() })
    onTestFinished(() => existing.close())
    expect(() => resolveStore({ store: existing, path: 'x' } as never, 'Test')).toThrow(
      /path cannot be set here/,
    )
  })
})
