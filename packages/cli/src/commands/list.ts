/**
 * @module
 * `levelsession list <path> [--user ID] [--limit N]`: live sessions without their data (use
 * `show` for that), streamed, so listing a large database holds one chunk in memory.
 */
import type { SessionRecord } from '@levelsession/core'
import { Option, type Command } from 'commander'
import { type AnyData, withStore } from '../database.js'
import { type JsonOptions, positiveInteger, withJson } from '../options.js'
import { LineWriter, OutputClosedError, printable } from '../output.js'

interface ListOptions extends JsonOptions {
  user?: string
  limit?: number
}

export function register(program: Command): void {
  withJson(
    program
      .command('list')
      .description('list live sessions (id, user, created, expires), in id order or by user')
      .argument('<path>', 'database directory')
      .addOption(new Option('-u, --user <id>', "only this user's sessions (oldest first)"))
      .addOption(
        new Option('-n, --limit <n>', 'list at most this many').argParser(positiveInteger),
      ),
  ).action(async (path: string, options: ListOptions) => {
    const json = options.json === true
    const out = new LineWriter(process.stdout)
    try {
      await withStore(path, async ({ store }) => {
        const limit = options.limit ?? Infinity
        const records: AsyncIterable<SessionRecord<AnyData>> | Iterable<SessionRecord<AnyData>> =
          options.user === undefined ? store.entries() : await store.listUser(options.user)
        let n = 0
        if (json) await out.text('[')
        else
          await out.line(
            `${'id'.padEnd(32)}  ${'user'.padEnd(16)}  ${'created'.padEnd(24)}  expires`,
          )
        for await (const record of records) {
          if (n >= limit) break
          const row = {
            id: record.id,
            userId: record.userId ?? null,
            createdAt: record.createdAt,
            expiresAt: record.expiresAt,
          }
          if (json) await out.text(`${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`)
          else
            await out.line(
              `${printable(row.id).padEnd(32)}  ${printable(row.userId ?? '-').padEnd(16)}  ` +
                `${new Date(row.createdAt).toISOString()}  ${new Date(row.expiresAt).toISOString()}`,
            )
          n++
        }
        if (json) await out.text(n === 0 ? ']\n' : '\n]\n')
        else
          await out.line(
            `(${n} session${n === 1 ? '' : 's'}${n === limit ? ', limit reached' : ''})`,
          )
        await out.flush()
      })
    } catch (error) {
      // `levelsession list db | head` closes the pipe early: that is the reader's choice.
      if (error instanceof OutputClosedError) return
      throw error
    }
  })
}
