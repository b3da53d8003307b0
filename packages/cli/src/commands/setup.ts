/**
 * @module
 * `levelsession setup <path>`: creates the session database (core's `setupSessionStore`).
 * Idempotent; refuses a directory that holds anything else.
 */
import { setupSessionStore } from '@levelsession/core'
import type { Command } from 'commander'
import { type JsonOptions, withJson } from '../options.js'
import { printResult } from '../output.js'

export function register(program: Command): void {
  withJson(
    program
      .command('setup')
      .description('create a session database (safe to run again; never touches anything else)')
      .argument('<path>', 'database directory'),
  ).action(async (path: string, options: JsonOptions) => {
    const result = await setupSessionStore({ path })
    printResult(options.json === true, result, () =>
      result.created
        ? `Created a session database at ${result.path} (schema version ${result.schemaVersion}).`
        : `A session database is already set up at ${result.path} (schema version ${result.schemaVersion}); nothing changed.`,
    )
  })
}
