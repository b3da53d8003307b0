/**
 * @module
 * `runFinally`: a `try/finally` around a promise-returning task without an async function, so a
 * hot path (every lock and every backend call) pays one `then` and no extra await.
 */

/**
 * Runs `task`, then `done` however it ends (returned, rejected or thrown); settles as `task`,
 * its failure passed through `mapError` when given.
 */
export function runFinally<T>(
  task: () => Promise<T>,
  done: () => void,
  mapError: (error: unknown) => unknown = (error) => error,
): Promise<T> {
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
      return value
    },
    (error: unknown) => {
      done()
      throw mapError(error)
    },
  )
}
