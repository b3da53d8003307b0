/**
 * Compile-time checks of the public types (run by `npm run typecheck`), plus one runtime check.
 */
import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import type { Session, SessionEnv, SessionMiddleware, SessionStore } from '../src/index.js'
import { makeApp } from './helpers.js'

interface Data {
  views: number
  user?: string
}

describe('types', () => {
  it('types c.get("session") from SessionEnv, and untyped apps through ContextVariableMap', () => {
    const typed = new Hono<SessionEnv<Data>>()
    typed.get('/', (c) => {
      const s = c.get('session')
      expectTypeOf(s).toEqualTypeOf<Session<Data>>()
      expectTypeOf(s.get('views')).toEqualTypeOf<number | undefined>()
      expectTypeOf(s.get('user')).toEqualTypeOf<string | undefined>()
      // @ts-expect-error -- not a key of Data
      s.get('nope')
      // @ts-expect-error -- wrong value type
      s.set('views', 'many')
      s.set('views', (s.get('views') ?? 0) + 1)
      return c.text('ok')
    })
    const untyped = new Hono()
    untyped.get('/', (c) => {
      expectTypeOf(c.get('session').get('anything')).toEqualTypeOf<unknown>()
      expectTypeOf(c.var.session.id).toEqualTypeOf<string>()
      return c.text('ok')
    })
  })

  it('exposes the store on the middleware', async () => {
    const { middleware } = await makeApp()
    expectTypeOf(middleware).toExtend<SessionMiddleware<{ views: number }>>()
    expectTypeOf(middleware.store).toExtend<SessionStore<{ views: number }>>()
  })
})
