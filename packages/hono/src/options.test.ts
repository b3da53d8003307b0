import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { session, type SessionOptions } from './index.js'

const dir = await mkdtemp(join(tmpdir(), 'levelsession-hono-options-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('session() options, checked when the factory runs', () => {
  const path = join(dir, 'never-created')
  const bad: [string, unknown, RegExp][] = [
    ['no secret', { path }, /options\.secret is required/],
    ['an empty secret', { path, secret: '' }, /options\.secret is required/],
    ['an empty list of secrets', { path, secret: [] }, /options\.secret is required/],
    ['a secret list with a non-string', { path, secret: ['a', 1] }, /options\.secret/],
    ['no storage', { secret: 's' }, /options\.path .*options\.db.*options\.store/],
    ['no options', undefined, /expected an options object/],
    ['a bad cookie name', { path, secret: 's', cookie: { name: 'a b' } }, /cookie\.name/],
    ['a path with ;', { path, secret: 's', cookie: { path: '/; x' } }, /cookie\.path/],
    ['a maxAge in the wrong unit', { path, secret: 's', cookie: { maxAge: 0.5 } }, /maxAge/],
    ['a string maxAge', { path, secret: 's', cookie: { maxAge: '1d' } }, /maxAge/],
    ['a bad sameSite', { path, secret: 's', cookie: { sameSite: 'lazy' } }, /sameSite/],
    [
      'SameSite=None without Secure',
      { path, secret: 's', cookie: { sameSite: 'none', secure: false } },
      /Secure/,
    ],
    [
      'a __Secure- name without Secure',
      { path, secret: 's', cookie: { name: '__Secure-sid', secure: false } },
      /'__Secure-sid' needs a Secure cookie/,
    ],
    [
      'a __Host- name without Secure (any case)',
      { path, secret: 's', cookie: { name: '__host-sid', secure: false } },
      /'__host-sid' needs a Secure cookie/,
    ],
    [
      'a __Host- name with another path',
      { path, secret: 's', cookie: { name: '__Host-sid', path: '/app' } },
      /needs cookie\.path '\/'/,
    ],
    [
      'a __Host- name with a domain',
      { path, secret: 's', cookie: { name: '__Host-sid', domain: 'example.com' } },
      /needs no cookie\.domain/,
    ],
    ['a non-boolean rolling', { path, secret: 's', rolling: 'yes' }, /rolling/],
    ['a bad store option', { path, secret: 's', maxAge: -1 }, /maxAge/],
  ]
  for (const [what, options, message] of bad) {
    it(`throws for ${what}`, () => {
      expect(() => session(options as SessionOptions)).toThrow(message)
    })
  }

  it('throws a TypeError for a wrong type and a RangeError for a number out of range', () => {
    expect(() => session({ path, secret: 's', cookie: { maxAge: '1' as never } })).toThrow(
      TypeError,
    )
    expect(() => session({ path, secret: 's', cookie: { maxAge: 0.5 } })).toThrow(RangeError)
    expect(() => session({ path, secret: 's', cookie: { maxAge: NaN } })).toThrow(/got NaN/)
  })

  it('opens no database when the settings are wrong', () => {
    expect(existsSync(path)).toBe(false)
  })

  it('refuses store options next to an existing store, and objects that are not stores', async () => {
    const store = createSessionStore({ path: join(dir, 'shared'), cleanupInterval: 0 })
    expect(() => session({ store, secret: 's', maxAge: 1000 })).toThrow(
      /options\.store is an existing store, so options\.maxAge cannot be set here/,
    )
    expect(() => session({ store: {} as never, secret: 's' })).toThrow(/must be a store/)
    const middleware = session({ store, secret: 's' })
    expect(middleware.store).toBe(store)
    await middleware.close() // not ours: stays open
    expect(store.closed).toBe(false)
    await store.close()
  })

  it('closes a store it created', async () => {
    const middleware = session({ path: join(dir, 'owned'), secret: 's', cleanupInterval: 0 })
    await middleware.close()
    expect(middleware.store.closed).toBe(true)
  })

  it('is a named middleware, so stack traces say which one failed', () => {
    const middleware = session({ path: join(dir, 'named'), secret: 's', cleanupInterval: 0 })
    expect(middleware.name).toBe('session')
    return middleware.close()
  })
})
