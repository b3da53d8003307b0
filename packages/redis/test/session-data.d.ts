// The adapters' typing recipes, as the HTTP tests use them.
import 'express-session'
import type {} from '@levelsession/koa/context'

declare module 'express-session' {
  interface SessionData {
    views?: number
    user?: string
  }
}

declare module '@levelsession/koa' {
  interface SessionData {
    views?: number
    user?: string
  }
}
