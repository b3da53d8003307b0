/**
 * @module
 * The timer and clock of import time. An application's tests may fake the globals
 * (`vi.useFakeTimers`, sinon): the backend's own waits and command deadlines must still follow
 * real time, neither stalling nor firing early.
 */

/** `setTimeout` as it was at import. */
export const wait = setTimeout

/** `clearTimeout` as it was at import, for `wait`'s timers. */
export const unwait = clearTimeout

/** `setImmediate` as it was at import. */
export const immediate = setImmediate

/** Monotonic milliseconds: `performance.now` as it was at import. */
export const monotonic: () => number = performance.now.bind(performance)
