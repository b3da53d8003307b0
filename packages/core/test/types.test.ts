/**
 * Compile-time checks of the public types (run by `npm run typecheck`; the runtime part only
 * makes the calls): what `set` resolves to with and without `ifExists`.
 */
import { MemoryLevel } from 'memory-level'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  createSessionStore,
  type LifetimeOptions,
  type SessionRecord,
  type SetIfExistsOptions,
  type SetOptions,
} from '@levelsession/core'

interface Data {
  views: number
}

describe('types', () => {
  it('set resolves to a record, or to record | undefined only with ifExists', async () => {
    const store = createSessionStore<Data>({ db: new MemoryLevel(), cleanupInterval: 0 })
    // A wrapper that forwards SetOptions keeps the record type.
    const forward = (options: SetOptions) => store.set('a', { views: 1 }, options)
    expectTypeOf(forward).returns.resolves.toEqualTypeOf<SessionRecord<Data>>()
    expectTypeOf(store.set('b', { views: 1 })).resolves.toEqualTypeOf<SessionRecord<Data>>()
    const maybe = (options: SetIfExistsOptions) => store.set('a', { views: 2 }, options)
    expectTypeOf(maybe).returns.resolves.toEqualTypeOf<SessionRecord<Data> | undefined>()
    expectTypeOf(store.set('c', { views: 1 }, { ifExists: true })).resolves.toEqualTypeOf<
      SessionRecord<Data> | undefined
    >()
    // Whatever may carry ifExists: true types as possibly undefined; a literal false does not.
    const loose = (options: LifetimeOptions & { ifExists?: boolean }) =>
      store.set('a', { views: 3 }, options)
    expectTypeOf(loose).returns.resolves.toEqualTypeOf<SessionRecord<Data> | undefined>()
    const either = (options: SetOptions | SetIfExistsOptions) =>
      store.set('a', { views: 3 }, options)
    expectTypeOf(either).returns.resolves.toEqualTypeOf<SessionRecord<Data> | undefined>()
    expectTypeOf(store.set('d', { views: 1 }, { ttl: 5, ifExists: false })).resolves.toEqualTypeOf<
      SessionRecord<Data>
    >()
    // @ts-expect-error -- a SetOptions variable cannot hold ifExists: true
    const wrong: SetOptions = { ifExists: true }
    void wrong
    expect((await forward({ ttl: 1000 })).expiresAt).toBeGreaterThan(Date.now())
    expect(await maybe({ ifExists: true })).toMatchObject({ data: { views: 2 } })
    expect(await store.set('c', { views: 1 }, { ifExists: true })).toBeUndefined()
    await store.close()
  })
})
