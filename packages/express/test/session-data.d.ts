// The declaration-merging recipe from the README, as the tests use it.
import 'express-session'

declare module 'express-session' {
  interface SessionData {
    views?: number
    user?: string
    note?: string
    when?: Date | string
  }
}
