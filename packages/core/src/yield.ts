/**
 * @module
 * The store's own turns of the event loop. `setImmediate` is captured at import: an app's tests
 * that fake timers (vitest, sinon) must not stall a write or a sweep until they advance a clock,
 * since these turns measure no time.
 */
export const nextTurn: (callback: () => void) => void = setImmediate

/** Lets timers, I/O and other requests run before a long task goes on (a sweep, a destroyUser of many sessions). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => nextTurn(resolve))
}
