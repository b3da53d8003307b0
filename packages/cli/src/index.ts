/**
 * @module
 * @levelsession/cli: the `levelsession` command. The bin runs `run(process.argv)`; the same
 * function serves tests and tools that embed the CLI.
 *
 * @example
 * ```ts
 * import { run } from '@levelsession/cli'
 * process.exitCode = await run(['node', 'levelsession', 'stats', './data/sessions', '--json'])
 * ```
 */
export { createProgram, run } from './cli.js'
export {
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  reportOf,
  type ErrorReport,
} from './errors.js'
export { parseSnapshotLine, snapshotLine, type ParsedLine } from './snapshot.js'
export { VERSION } from './version.js'
