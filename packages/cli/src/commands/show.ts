/**
 * @module
 * `levelsession show <path> <id>`: one live session with its data. An unknown or expired id is
 * a failure (exit 1), so scripts can test for a session.
 */
import type { Command } from 'commander'
import { withStore } from '../database.js'
import { CliError } from '../errors.js'
import { type JsonOptions, withJson } from '../options.js'
import { formatTime, printResult, table } from '../output.js'

export function register(program: Command): void {
  withJson(
    program
      .command('show')
      .description('print one live session and its data')
      .argument('<path>', 'database directory')
      .argument('<id>', 'session id'),
  ).action(async (path: string, id: string, options: JsonOptions) => {
    const record = await withStore(path, ({ store }) => store.get(id))
    if (record === undefined) {
      throw new CliError('ERR_NOT_FOUND', `No live session with id ${JSON.stringify(id)}.`, {
        details: { id },
      })
    }
    printResult(options.json === true, record, () => [
      ...table([
        ['Id', record.id],
        ['User', record.userId ?? '-'],
        ['Created', formatTime(record.createdAt)],
        ['Expires', formatTime(record.expiresAt)],
      ]),
      'Data',
      JSON.stringify(record.data, null, 2),
    ])
  })
}
