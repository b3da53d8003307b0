// The README's recipe: opt in to typed `ctx.session`, then describe the data.
import type {} from '@levelsession/koa/context'

declare module '@levelsession/koa' {
  interface SessionData {
    views?: number
    user?: string
  }
}
