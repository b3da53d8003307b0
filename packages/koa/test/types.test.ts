/**
 * Type-level checks (run by `npm run typecheck`; the runtime assertions are trivially true):
 * the store fits koa-session's `store` option, and the opt-in context types see `SessionData`.
 */
import type Koa from 'koa'
import type { CreateSessionOptions } from 'koa-session'
import { describe, expectTypeOf, it } from 'vitest'
import type { KoaSession } from '../src/context.js'
import type { LevelSessionStore, StoredSession } from '../src/index.js'

describe('types', () => {
  it("LevelSessionStore fits koa-session's store option", () => {
    expectTypeOf<LevelSessionStore>().toExtend<NonNullable<CreateSessionOptions['store']>>()
  })

  it('ctx.session carries SessionData and the koa-session model', () => {
    expectTypeOf<Koa.Context['session']>().toEqualTypeOf<KoaSession>()
    expectTypeOf<KoaSession['views']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<KoaSession['regenerate']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<StoredSession['user']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<StoredSession['_expire']>().toEqualTypeOf<number | undefined>()
  })
})
