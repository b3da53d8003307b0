/**
 * @module
 * `levelsession stats <path>`: live and expired-but-unpruned sessions, the expiry range, users
 * indexed, size on disk and schema version.
 */
import type { Command } from 'commander'
import { sizeOnDisk, withStore } from '../database.js'
import { type JsonOptions, withJson } from '../options.js'
import { formatBytes, formatTime, printResult, table } from '../output.js'

export function register(program: Command): void {
  withJson(
    program
      .command('stats')
      .description('count sessions, expired ones not yet pruned, users; expiry range; disk size')
      .argument('<path>', 'database directory'),
  ).action(async (path: string, options: JsonOptions) => {
    const result = await withStore(path, async ({ store, path: location }) => {
      const stats = await store.stats()
      return {
        path: location,
        sessions: stats.sessions,
        expired: stats.expired,
        earliestExpiry: stats.earliestExpiry ?? null,
        latestExpiry: stats.latestExpiry ?? null,
        users: stats.users,
        sizeBytes: await sizeOnDisk(location),
        schemaVersion: stats.schemaVersion ?? null,
      }
    })
    printResult(options.json === true, result, () =>
      table([
        ['Database', result.path],
        ['Sessions', String(result.sessions)],
        [
          'Expired',
          result.expired === 0
            ? '0'
            : `${result.expired} (not yet pruned: \`levelsession prune\` removes them)`,
        ],
        ['Earliest expiry', formatTime(result.earliestExpiry ?? undefined)],
        ['Latest expiry', formatTime(result.latestExpiry ?? undefined)],
        ['Users indexed', String(result.users)],
        ['Size on disk', formatBytes(result.sizeBytes)],
        ['Schema version', String(result.schemaVersion ?? '-')],
      ]),
    )
  })
}
