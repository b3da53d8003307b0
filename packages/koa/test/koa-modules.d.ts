// `koa2` is an npm alias of Koa 2 (for testing both majors); @types/koa describes the API both
// share. koa-generic-session ships no types; the tests use its middleware factory only.
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}

declare module 'koa-generic-session' {
  import type { Middleware } from 'koa'
  interface GenericSessionOptions {
    store?: unknown
    key?: string
    prefix?: string
    ttl?: number
    rolling?: boolean
    cookie?: Record<string, unknown>
  }
  function genericSession(options?: GenericSessionOptions): Middleware
  export default genericSession
}
