/**
 * @module
 * Errors the CLI raises itself, and how any error is reported: a message, what to do about it,
 * and the exit status (1 for a failure, 2 for wrong usage).
 */

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface CliErrorOptions {
  /** @default 1 */
  exitCode?: 1 | 2
  /** What the operator can do about it. */
  hint?: string
  /** Extra fields for `--json` error output. */
  details?: Record<string, unknown>
}

/** An error the CLI raises on purpose, with a stable `code` and an exit status. */
export class CliError extends Error {
  readonly code: string
  readonly exitCode: 1 | 2
  readonly hint: string | undefined
  readonly details: Record<string, unknown>

  constructor(code: string, message: string, options: CliErrorOptions = {}) {
    super(message)
    this.name = 'CliError'
    this.code = code
    this.exitCode = options.exitCode ?? EXIT_FAILURE
    this.hint = options.hint
    this.details = options.details ?? {}
  }
}

/** Wrong usage found after argument parsing (exit status 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError('ERR_USAGE', message, { exitCode: EXIT_USAGE, ...(hint ? { hint } : {}) })
}

/** What gets printed for an error, in words or as JSON. */
export interface ErrorReport {
  code: string
  message: string
  hint?: string
  exitCode: 1 | 2
  path?: string
  pid?: number
  [key: string]: unknown
}

/** Turns any error into a report; core's typed errors get advice on what to do next. */
export function reportOf(error: unknown): ErrorReport {
  if (error instanceof CliError) {
    return {
      ...error.details,
      code: error.code,
      message: error.message,
      exitCode: error.exitCode,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    }
  }
  const err = error instanceof Error ? error : new Error(String(error))
  const raw = (err as Error & { code?: unknown }).code
  const code = typeof raw === 'string' ? raw : 'ERR_UNEXPECTED'
  const report: ErrorReport = { code, message: err.message, exitCode: EXIT_FAILURE }
  const path = (err as { path?: unknown }).path
  if (typeof path === 'string') report.path = path
  switch (code) {
    case 'ERR_STORE_LOCKED': {
      // Core's message names the path and the pid; say what an operator does about it.
      const pid = (err as { pid?: unknown }).pid
      if (typeof pid === 'number') report.pid = pid
      report.hint =
        `Stop the process that holds it${typeof pid === 'number' ? ` (pid ${pid})` : ''} and run ` +
        'this command again, or do the same from inside that app through its SessionStore ' +
        '(stats(), prune(), compact(), entries()).'
      break
    }
    case 'ERR_STORE_CORRUPT':
      report.hint =
        `\`levelsession repair ${report.path ?? '<path>'}\` first copies the directory to ` +
        '<path>.backup-<time>, then repairs it in place. Stop any app using it first.'
      break
    case 'ERR_STORE_OPEN':
      report.hint =
        `Check that ${report.path ?? 'the directory'} and its parent can be written by this ` +
        'user and that the disk has room: the reason above comes from the file system or LevelDB.'
      break
    case 'ERR_STORE_SCHEMA':
      report.hint = 'Upgrade @levelsession/cli to the version of @levelsession/core that wrote it.'
      break
    default:
      break
  }
  return report
}
