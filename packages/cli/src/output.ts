/**
 * @module
 * Output: a command's result as JSON (`--json`) or as lines for people, errors on stderr, and a
 * buffered line writer that respects backpressure, so streaming commands hold one chunk in
 * memory, never the whole output.
 */
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { ErrorReport } from './errors.js'

/**
 * Prints a command's result: one JSON document with `--json`, otherwise the human lines, with
 * control characters escaped (they may come from ids, user ids or Redis keys: see `printable`).
 */
export function printResult(json: boolean, value: unknown, human: () => string | string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value)}\n`)
    return
  }
  const lines = human()
  const text = Array.isArray(lines) ? lines.join('\n') : lines
  if (text !== '') process.stdout.write(`${terminalSafe(text)}\n`)
}

/** Prints an error to stderr: `{"error": {...}}` with `--json`, otherwise `error:` and `hint:`. */
export function printError(json: boolean, report: ErrorReport): void {
  if (json) {
    const { exitCode: _exitCode, ...error } = report
    process.stderr.write(`${JSON.stringify({ error })}\n`)
    return
  }
  process.stderr.write(`error: ${terminalSafe(report.message)}\n`)
  if (report.hint !== undefined) process.stderr.write(`hint: ${terminalSafe(report.hint)}\n`)
}

/** A note for people on stderr (kept off stdout, which may carry data). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** Raised when the reader of our output went away (e.g. `levelsession list db | head`). */
export class OutputClosedError extends Error {
  readonly code = 'ERR_OUTPUT_CLOSED'
  constructor(cause: unknown) {
    super('the output was closed before everything was written', { cause })
  }
}

/**
 * Collects lines into chunks of about `chunkSize` characters and writes each chunk once the
 * stream has room (awaiting `drain`), so memory stays flat however much is written.
 */
export class LineWriter {
  readonly #stream: Writable
  readonly #chunkSize: number
  #buffer = ''
  #error: unknown

  constructor(stream: Writable, chunkSize = 64 * 1024) {
    this.#stream = stream
    this.#chunkSize = chunkSize
    stream.on('error', (error: unknown) => {
      this.#error ??= error
    })
  }

  /** Queues one line (without its newline). */
  async line(text: string): Promise<void> {
    this.#buffer += `${text}\n`
    if (this.#buffer.length >= this.#chunkSize) await this.flush()
  }

  /** Queues text as it is. */
  async text(text: string): Promise<void> {
    this.#buffer += text
    if (this.#buffer.length >= this.#chunkSize) await this.flush()
  }

  /** Writes what is buffered and waits until the stream can take more. */
  async flush(): Promise<void> {
    this.#check()
    if (this.#buffer === '') return
    const chunk = this.#buffer
    this.#buffer = ''
    if (!this.#stream.write(chunk)) {
      try {
        await once(this.#stream, 'drain')
      } catch (error) {
        this.#error ??= error
      }
    }
    this.#check()
  }

  #check(): void {
    if (this.#error === undefined) return
    const code = (this.#error as { code?: unknown }).code
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED')
      throw new OutputClosedError(this.#error)
    throw this.#error instanceof Error
      ? this.#error
      : new Error('write failed', { cause: this.#error })
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/** `90_000` -> `1m 30s`; sub-second times in ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const seconds = Math.round(ms / 1000)
  const parts: string[] = []
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  if (d > 0) parts.push(`${d}d`)
  if (h > 0) parts.push(`${h}h`)
  if (m > 0 && d === 0) parts.push(`${m}m`)
  if (s > 0 && d === 0 && h === 0) parts.push(`${s}s`)
  return parts.join(' ') || '0s'
}

/** An epoch-ms time as ISO 8601 plus how far from now, e.g. `2026-01-01T00:00:00.000Z (in 3h 2m)`. */
export function formatTime(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-'
  // Beyond what a Date holds (a record written by something else): the number as it is.
  const date = new Date(ms)
  const iso = Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString()
  const delta = ms - now
  return delta >= 0
    ? `${iso} (in ${formatDuration(delta)})`
    : `${iso} (${formatDuration(-delta)} ago)`
}

/** Aligns `label value` pairs into two columns. */
export function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
}

/** Control characters (line breaks aside) and bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding them is the point
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/**
 * One value (an id, a user id) safe for a terminal and unambiguous on its line: control
 * characters, line breaks included, and bidirectional overrides as `\uXXXX`, and a backslash
 * doubled, so that an escape cannot be faked.
 */
export function printable(text: string): string {
  return terminalSafe(text.replace(/\\/g, '\\\\')).replace(/\n/g, '\\u000a')
}

/**
 * Text for a terminal: control characters (which could move the cursor, rewrite lines or retitle
 * the window) and bidirectional overrides and isolates as `\uXXXX`; line breaks kept.
 */
function terminalSafe(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
