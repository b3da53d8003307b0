/**
 * @module
 * `runFinally`: a `try/finally` around a promise-returning task without an async function, so a
 * hot path (every lock and every backend call) pays one `then` and no extra await.
 */

/**
 * Runs `task`, then `done` however it ends (returned, rejected or thrown); settles as `task`,
 * its result passed through `map` and its failure through `mapError` when given (in the same
 * `then`: no promise hop of their own).
 */
export function runFinally<T, R = T>(
  task: () => Promise<T>,
  done: () => void,
  mapError: (error: unknown) => unknown = (error) => error,
  map?: (value: T) => R,
): Promise<R> {
  let running: Promise<T>
  try {
    running = task()
  } catch (error) {
    done()
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the task's own error, passed on as thrown
    return Promise.reject(mapError(error))
  }
  return running.then(
    (value) => {
      done()
      if (map === undefined) return value as unknown as R
      try {
        return map(value)
      } catch (error) {
        throw mapError(error)
      }
    },
    (error: unknown) => {
      done()
      throw mapError(error)
    },
  )
}
