/**
 * @module
 * Callbacks for the next turn of the event loop, all run from one `setImmediate`.
 *
 * A cached session is found synchronously, but express-session's callback must not run inside
 * the call. With `process.nextTick` each request ran to its response inside its socket's read;
 * with one `setImmediate` per callback (MemoryStore's way) the loop ran queued ticks between
 * them. Running every callback of a turn back to back was the fastest of the three over HTTP
 * (tools/bench/http.mjs: 0.99x to 1.15x MemoryStore, against 0.82x to 0.98x with nextTick).
 *
 * Each callback runs in the async context of its own call (an `AsyncResource`), so
 * AsyncLocalStorage (request-scoped loggers, tracing) sees its request, not the first one queued.
 */
import { AsyncResource } from 'node:async_hooks'

type Later<R> = (err: null, result: R) => void

// Captured at import, as express-session's own `defer` is: fake timers installed by an app's tests
// (vitest, sinon) would otherwise hold every cached get until the test advances the clock.
const schedule = setImmediate

/** Callback, result and async context of each pending call, flat: three slots per call. */
let queue: unknown[] = []
let scheduled = false

/** Calls `callback(null, result)` on the next turn of the event loop, in the caller's context. */
export function later<R>(callback: Later<R>, result: R): void {
  queue.push(callback, result, new AsyncResource('LevelSessionStore'))
  if (!scheduled) {
    scheduled = true
    schedule(drain)
  }
}

function drain(): void {
  const calls = queue
  queue = []
  scheduled = false
  for (let i = 0; i < calls.length; i += 3) {
    const resource = calls[i + 2] as AsyncResource
    try {
      resource.runInAsyncScope(calls[i] as Later<unknown>, null, null, calls[i + 1])
    } catch (error) {
      // Still an uncaught exception, seen in the caller's async context as one thrown from its
      // own tick would be; the rest of the turn's callbacks run first.
      resource.runInAsyncScope(() => process.nextTick(rethrow, error))
    }
  }
}

function rethrow(error: unknown): never {
  throw error
}
