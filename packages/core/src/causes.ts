/**
 * @module
 * Walking an error's `cause` chain, as LevelDB and classic-level nest their reasons.
 */

/** How deep a chain is followed: guards against a cycle. */
const MAX_DEPTH = 4

/** `error`, then its causes, outermost first (at most a few levels; none past a non-object). */
export function* causesOf(error: unknown): Generator<unknown> {
  let current = error
  for (let depth = 0; depth < MAX_DEPTH && current !== null && current !== undefined; depth++) {
    yield current
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
}
