/**
 * @module
 * Progress bars for long work (prune, export, import, compact), drawn with cli-progress on
 * stderr only when stderr is a terminal and neither `--json` nor `--no-progress` was given: pipes,
 * logs and scripts see nothing.
 */
import cliProgress from 'cli-progress'

export interface ProgressOptions {
  /** From `--json`. */
  json?: boolean
  /** From `--no-progress` (commander sets `progress: false`). */
  progress?: boolean
}

/** A progress display; every method is a no-op when progress is off. */
export interface Progress {
  readonly enabled: boolean
  /** Starts the display with a total (0 for work of unknown size). */
  start(total: number, payload?: Record<string, unknown>): void
  update(value: number, payload?: Record<string, unknown>): void
  /** Removes the bar from the terminal. Idempotent. */
  stop(): void
}

/** Whether to draw progress: a terminal on `stream`, not `--json`, not `--no-progress`. */
export function progressEnabled(
  options: ProgressOptions,
  stream: { isTTY?: boolean } = process.stderr,
): boolean {
  return options.json !== true && options.progress !== false && stream.isTTY === true
}

/**
 * A bar labelled `label`. `format` is a cli-progress format string; the default shows the bar,
 * percentage, `value/total` with `unit`, elapsed time and ETA.
 */
export function createProgress(
  label: string,
  options: ProgressOptions & { unit?: string; format?: string; stream?: NodeJS.WriteStream } = {},
): Progress {
  const stream = options.stream ?? process.stderr
  if (!progressEnabled(options, stream)) {
    return { enabled: false, start() {}, update() {}, stop() {} }
  }
  const unit = options.unit ?? ''
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        options.format ??
        `${label} [{bar}] {percentage}% | {value}/{total}${unit ? ` ${unit}` : ''} | {duration_formatted} | eta {eta_formatted}`,
      barsize: 30,
      clearOnComplete: true,
      hideCursor: false,
      gracefulExit: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    enabled: true,
    start(total, payload = {}) {
      bar.start(total, 0, payload)
      started = true
    },
    update(value, payload) {
      if (started) bar.update(value, payload)
    },
    stop() {
      if (!started) return
      started = false
      bar.stop()
    },
  }
}
