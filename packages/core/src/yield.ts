/**
 * @module
 * `yieldToLoop()`: lets timers, I/O and other requests run before a long task goes on (a sweep,
 * a destroyUser of many sessions).
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
