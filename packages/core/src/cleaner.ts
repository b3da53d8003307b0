/**
 * @module
 * The cleaner's schedule: a run at open, then one every interval with ±10% jitter (so stores
 * started together do not sweep together), on an unref'd timer that never keeps the process
 * alive. Runs never overlap, failures never escape the timer, and `stop()` waits for a run in
 * progress after asking it to stop.
 */

export class Cleaner {
  readonly #interval: number
  readonly #run: (signal: AbortSignal) => Promise<unknown>
  #timer: NodeJS.Timeout | undefined
  #running: Promise<unknown> | undefined
  #abort = new AbortController()
  #stopped = false

  constructor(interval: number, run: (signal: AbortSignal) => Promise<unknown>) {
    this.#interval = interval
    this.#run = run
  }

  start(): void {
    if (this.#interval > 0 && !this.#stopped) this.#tick()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#running
  }

  #tick(): void {
    if (this.#stopped) return
    this.#running = this.#run(this.#abort.signal)
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined
        this.#schedule()
      })
  }

  #schedule(): void {
    if (this.#stopped) return
    const jitter = this.#interval * 0.1 * (Math.random() * 2 - 1)
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, this.#interval + jitter))
    this.#timer.unref()
  }
}
