/**
 * @module
 * `levelsession destroy <path> <id>`: removes one session. Idempotent like core's `destroy`:
 * an id that is not there is reported, not an error.
 */
import type { Command } from 'commander'
import { withStore } from '../database.js'
import { type JsonOptions, withJson } from '../options.js'
import { printResult } from '../output.js'

export function register(program: Command): void {
  withJson(
    program
      .command('destroy')
      .description('remove one session (signs that browser out)')
      .argument('<path>', 'database directory')
      .argument('<id>', 'session id'),
  ).action(async (path: string, id: string, options: JsonOptions) => {
    const destroyed = await withStore(path, ({ store }) => store.destroy(id))
    printResult(options.json === true, { id, destroyed }, () =>
      destroyed ? `Destroyed session ${id}.` : `No session ${id}; nothing to destroy.`,
    )
  })
}
