/**
 * @module
 * `levelsession import <path> <file|->` (or `import --redis <url> <file|->`): restores a JSON
 * Lines export into a LevelDB directory or a Redis store. Reads line by line
 * (node:readline over a stream, never the whole file), checks each line whole and writes it with
 * core's `restore()` (one atomic write), so a malformed line is rejected, never half-applied.
 * Expired sessions are skipped. Creates the database when the directory is absent or empty.
 * Exits 1 when any line was rejected, after importing the rest.
 *
 * With `--from-redis <url>` instead of a file, the sessions come from another Redis session
 * store such as connect-redis (see redis-source.ts), so an app can switch stores without
 * signing its users out.
 */
import { createReadStream, fstatSync, type ReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { isSessionError, type SessionStore } from '@levelsession/core'
import { type Command, Option } from 'commander'
import type { AnyData } from '../database.js'
import { CliError, usageError } from '../errors.js'
import { type ProgressFlags, positiveInteger, withProgress } from '../options.js'
import { formatDuration, printable, printResult } from '../output.js'
import { createProgress } from '../progress.js'
import {
  redisUrl,
  type RedisFlags,
  redactUrl,
  type Target,
  targetOf,
  whereOf,
  withRedis,
  withTargetStore,
} from '../redis.js'
import { type RedisSource, redisSessions, withRedisSource } from '../redis-source.js'
import { type ParsedLine, parseSnapshotLine } from '../snapshot.js'

/** Restores in flight at once: enough for core to group them into batches. */
const IN_FLIGHT = 64
/** Rejected lines described in the report; the rest are only counted. */
const MAX_REPORTED = 100
/** A longer line is not a session (core refuses encoded sessions over 1 MiB by default). */
const MAX_LINE_BYTES = 64 * 1024 * 1024

/** Where a rejected session was: its line in the file, or its key in the source Redis. */
export type RejectedItem = { line: number; reason: string } | { key: string; reason: string }

interface ImportFlags extends ProgressFlags, RedisFlags {
  fromRedis?: string
  fromPrefix: string
  fromCluster?: boolean
  userField?: string
  maxAge: number
}

/** One session to restore (or the reason it cannot be), and where it came from. */
interface Item {
  where: { line: number } | { key: string }
  /** `gone`: listed by the source, then expired or deleted before it was read. */
  parsed: ParsedLine | { ok: 'gone' }
}

/** What restoring a stream of items did. */
interface Counts {
  imported: number
  skipped: number
  rejected: number
  rejects: RejectedItem[]
}

export function register(program: Command): void {
  withRedis(
    withProgress(
      program
        .command('import')
        .description(
          'restore sessions from a JSON Lines export, or from another Redis session store (skips expired ones)',
        )
        .argument('[path]', 'database directory, created when absent or empty (none with --redis)')
        .argument('[file]', 'input file, or - for standard input (none with --from-redis)'),
    ),
  )
    .addOption(
      new Option(
        '--from-redis <url>',
        'read the sessions of another Redis session store instead of a file: connect-redis, or any store keeping one JSON string per session key',
      ),
    )
    .addOption(
      new Option('--from-prefix <prefix>', "with --from-redis: the old store's key prefix").default(
        'sess:',
      ),
    )
    .addOption(
      new Option('--from-cluster', 'with --from-redis: the URL is a node of a Redis Cluster'),
    )
    .addOption(
      new Option(
        '--user-field <path>',
        'with --from-redis: where each session keeps its user id, e.g. userId or passport.user (for destroyUser)',
      ),
    )
    .addOption(
      new Option(
        '--max-age <ms>',
        'with --from-redis: lifetime of a session whose key never expires and whose cookie has no expires',
      )
        .argParser(positiveInteger)
        .default(86_400_000),
    )
    .action(
      async (
        first: string | undefined,
        second: string | undefined,
        options: ImportFlags,
        command: Command,
      ) => {
        const { target, file } = targetOf('import', [first, second], options)
        // Options with defaults count as given only when typed.
        const given = (name: string) => command.getOptionValueSource(name) === 'cli'
        const source = fromRedisOf(options, target, file, given)
        if (source === undefined && file === undefined) {
          throw usageError(
            'import needs an input file (or - for standard input), or --from-redis <url>.',
            target.kind === 'redis'
              ? 'levelsession import --redis <url> <file|->'
              : 'levelsession import <path> <file|->',
          )
        }
        if (source !== undefined) await importFromRedis(target, source, options)
        else await importFile(target, file!, options)
      },
    )
}

/** The `--from-redis` source, checked; `undefined` without that flag. */
function fromRedisOf(
  options: ImportFlags,
  target: Target,
  file: string | undefined,
  given: (option: string) => boolean,
): RedisSource | undefined {
  const { fromRedis, fromPrefix, fromCluster, userField, maxAge } = options
  if (fromRedis === undefined) {
    if (['fromPrefix', 'fromCluster', 'userField', 'maxAge'].some(given)) {
      throw usageError(
        '--from-prefix, --from-cluster, --user-field and --max-age apply to --from-redis only.',
      )
    }
    return undefined
  }
  if (file !== undefined) {
    throw usageError(
      `With --from-redis, import takes no input file (got "${file}").`,
      target.kind === 'redis'
        ? 'levelsession import --redis <url> --from-redis <url>'
        : 'levelsession import <path> --from-redis <url>',
    )
  }
  const url = redisUrl('--from-redis', fromRedis)
  if (fromPrefix === '') throw usageError('--from-prefix must be non-empty.')
  // On one server the new store's keys would then match the old store's pattern (the same
  // prefix is fine: its keys are told apart by their layout).
  if (
    target.kind === 'redis' &&
    sameDatabase(target.url, url) &&
    target.prefix !== fromPrefix &&
    target.prefix.startsWith(fromPrefix)
  ) {
    throw usageError(
      `--prefix ${target.prefix} starts with --from-prefix ${fromPrefix} on the same server: the new keys would be read as old sessions.`,
      'choose a --prefix that does not start with the old one, or the same prefix',
    )
  }
  const path = userField?.split('.')
  if (path?.some((name) => name === '') === true) {
    throw usageError(`--user-field expects names separated by dots, got "${userField}".`)
  }
  return {
    url,
    prefix: fromPrefix,
    cluster: fromCluster === true,
    userField: path,
    maxAge,
  }
}

async function importFile(target: Target, file: string, options: ImportFlags): Promise<void> {
  const input = await openInput(file)
  const started = performance.now()
  const result = await withTargetStore(
    target,
    async (opened) => {
      const progress = createProgress('Importing', {
        ...options,
        format:
          input.size === undefined
            ? 'Importing | {lines} lines | {duration_formatted}'
            : 'Importing [{bar}] {percentage}% | {lines} lines | {duration_formatted} | eta {eta_formatted}',
      })
      let lineNo = 0
      let failure: unknown
      const guard = new LineLengthGuard(MAX_LINE_BYTES)
      const lines = createInterface({ input: guard, crlfDelay: Infinity })
      // A read error or an overlong line ends the loop; it is thrown once writes settle.
      const stop = (error: unknown) => {
        failure ??= error
        lines.close()
      }
      // A read failure (EIO, a device, a file removed midway) names the input and how far it got.
      input.stream.on('error', (error: Error) =>
        stop(
          new CliError(
            'ERR_INPUT',
            `Cannot read ${input.name} after line ${lineNo}: ${error.message}. ` +
              'The lines before were imported.',
            { details: { file: input.name, lines: lineNo } },
          ),
        ),
      )
      guard.on('error', stop)
      input.stream.pipe(guard)
      async function* items(): AsyncGenerator<Item> {
        for await (const raw of lines) {
          lineNo++
          if (lineNo % 1000 === 0) progress.update(input.stream.bytesRead, { lines: lineNo })
          const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw
          if (text.trim() === '') continue
          yield { where: { line: lineNo }, parsed: parseSnapshotLine(text) }
        }
      }
      let counts: Counts
      try {
        progress.start(input.size ?? 0, { lines: 0 })
        counts = await restoreAll(opened.store, items(), () => failure !== undefined)
        progress.update(input.stream.bytesRead, { lines: lineNo })
      } finally {
        lines.close()
        input.stream.destroy()
        progress.stop()
      }
      if (failure !== undefined) throw asError(failure)
      return {
        ...whereOf(target, opened),
        file: input.name,
        created: opened.created,
        lines: lineNo,
        ...counts,
        durationMs: performance.now() - started,
        into: opened.path,
      }
    },
    { create: true },
  )
  const { into, ...report } = result
  report.rejects.sort((a, b) => ('line' in a && 'line' in b ? a.line - b.line : 0))
  printResult(options.json === true, report, () => [
    `${imported(target, result.created)} ${plural(result.imported, 'session')} into ${into} ` +
      `from ${result.file} in ${formatDuration(result.durationMs)}; skipped ${result.skipped} ` +
      `expired; rejected ${plural(result.rejected, 'line')}.`,
    ...rejectLines(result),
  ])
  failOnRejects(result.rejected, 'line')
}

async function importFromRedis(
  target: Target,
  source: RedisSource,
  options: ImportFlags,
): Promise<void> {
  const started = performance.now()
  // The old store is reached first: a wrong URL changes nothing in the new one.
  const result = await withRedisSource(source, (connection) =>
    withTargetStore(
      target,
      async (opened) => {
        const progress = createProgress('Importing', {
          ...options,
          format: 'Importing | {keys} keys | {duration_formatted}',
        })
        let keys = 0
        let ignored = 0
        let withoutOwner = 0
        async function* items(): AsyncGenerator<Item> {
          try {
            for await (const { key, parsed, ownerless } of redisSessions(source, connection)) {
              if (parsed.ok === 'ignored') {
                ignored++
                continue
              }
              keys++
              if (ownerless === true) withoutOwner++
              if (keys % 1000 === 0) progress.update(0, { keys })
              yield { where: { key }, parsed }
            }
          } catch (cause) {
            throw new CliError(
              'ERR_STORE_IO',
              `Reading the old store at ${redactUrl(source.url)} failed after ${plural(keys, 'key')}: ` +
                `${(cause as Error).message}. The sessions read until then were imported.`,
              {
                hint: 'run the import again to finish (before the app starts on the new store)',
                details: { from: redactUrl(source.url), keys },
              },
            )
          }
        }
        let counts: Counts
        try {
          progress.start(0, { keys: 0 })
          counts = await restoreAll(opened.store, items(), () => false)
          progress.update(0, { keys })
        } finally {
          progress.stop()
        }
        return {
          ...whereOf(target, opened),
          from: redactUrl(source.url),
          fromPrefix: source.prefix,
          created: opened.created,
          keys,
          ignored,
          ...(source.userField === undefined ? {} : { withoutOwner }),
          ...counts,
          durationMs: performance.now() - started,
          into: opened.path,
        }
      },
      { create: true },
    ),
  )
  const { into, ...report } = result
  printResult(options.json === true, report, () => [
    `${imported(target, result.created)} ${plural(result.imported, 'session')} into ${into} ` +
      `from ${result.from} prefix ` +
      `${result.fromPrefix} in ${formatDuration(result.durationMs)}; skipped ${result.skipped} ` +
      `expired; rejected ${plural(result.rejected, 'key')}.`,
    ...(result.withoutOwner === undefined || result.withoutOwner === 0
      ? []
      : [
          `  ${plural(result.withoutOwner, 'session')} had no user id at --user-field ` +
            `${options.userField}: destroyUser will not find them.`,
        ]),
    ...(result.ignored === 0
      ? []
      : [
          `  Ignored ${plural(result.ignored, 'key')} of a @levelsession/redis store under the prefix.`,
        ]),
    ...rejectLines(result),
  ])
  failOnRejects(result.rejected, 'key')
}

/**
 * Restores every item, at most IN_FLIGHT at a time. A session the store refuses (too large, a
 * bad user id) is rejected and the rest go on; any other failure is the store's and ends the
 * import once the writes in flight settle. `stopped` ends it early (a failed input).
 */
async function restoreAll(
  store: SessionStore<AnyData>,
  items: AsyncIterable<Item>,
  stopped: () => boolean,
): Promise<Counts> {
  const counts: Counts = { imported: 0, skipped: 0, rejected: 0, rejects: [] }
  const reject = (where: Item['where'], reason: string) => {
    counts.rejected++
    if (counts.rejects.length < MAX_REPORTED) counts.rejects.push({ ...where, reason })
  }
  let failure: unknown
  const inflight = new Set<Promise<void>>()
  try {
    for await (const { where, parsed } of items) {
      // Gone since it was listed (a key that expired during the import): as if expired.
      if (parsed.ok === 'gone') {
        counts.skipped++
        continue
      }
      if (!parsed.ok) {
        reject(where, parsed.reason)
        continue
      }
      const task = store.restore(parsed.snapshot).then(
        (written) => {
          if (written) counts.imported++
          else counts.skipped++
        },
        (error: unknown) => {
          // The session itself is refused (too large, a bad user id): reject it. Any other
          // failure is the store's: stop.
          const refused =
            (isSessionError(error) && error.code.startsWith('ERR_SESSION_')) ||
            error instanceof TypeError ||
            error instanceof RangeError
          if (refused) reject(where, error.message)
          else failure ??= error
        },
      )
      inflight.add(task)
      void task.finally(() => inflight.delete(task))
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight)
      if (failure !== undefined || stopped()) break
    }
  } finally {
    // Also when the input fails: the writes it started finish before the store closes.
    await Promise.all(inflight)
  }
  if (failure !== undefined) throw asError(failure)
  return counts
}

/** Whether two Redis URLs name the same host, port and database (as written: no DNS lookup). */
function sameDatabase(a: string, b: string): boolean {
  const key = (url: string) => {
    const { hostname, port, pathname } = new URL(url)
    const host = hostname === 'localhost' || hostname === '[::1]' ? '127.0.0.1' : hostname
    return `${host.toLowerCase()}:${port === '' ? '6379' : port}/${Number(pathname.slice(1)) || 0}`
  }
  return key(a) === key(b)
}

function rejectLines(result: Counts): string[] {
  return [
    ...result.rejects.map(
      (r) => `  ${'line' in r ? `line ${r.line}` : `key ${printable(r.key)}`}: ${r.reason}`,
    ),
    ...(result.rejected > result.rejects.length
      ? [`  ... and ${result.rejected - result.rejects.length} more`]
      : []),
  ]
}

function failOnRejects(rejected: number, unit: 'line' | 'key'): void {
  if (rejected === 0) return
  throw new CliError(
    'ERR_IMPORT_REJECTED',
    `${plural(rejected, unit)} ${rejected === 1 ? 'was' : 'were'} rejected (listed above); ` +
      `every other ${unit} was imported.`,
    { details: { rejected } },
  )
}

/** The report's first word: a LevelDB directory made by the import says so. */
function imported(target: Target, created: boolean): string {
  return created && target.kind === 'level' ? 'Created the database and imported' : 'Imported'
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

interface Input {
  name: string
  stream: Readable & { bytesRead: number }
  /** Bytes, for a regular file. */
  size: number | undefined
}

/** Opens the input before the database, so a missing file changes nothing. */
async function openInput(file: string): Promise<Input> {
  if (file === '-') {
    // Node reads a directory on standard input as empty (its handle type is unknown): an import
    // would report success having read nothing.
    if (isDirectory(0)) {
      throw new CliError('ERR_INPUT', 'Cannot read standard input: it is a directory.', {
        details: { file: 'standard input' },
      })
    }
    const counted = new ByteCounter()
    // pipe() passes no errors on: a failed read of stdin (EIO) reaches the import this way.
    process.stdin.once('error', (error) => counted.destroy(error))
    return { name: 'standard input', stream: process.stdin.pipe(counted), size: undefined }
  }
  const name = resolve(file)
  let size: number | undefined
  try {
    const info = await stat(name)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    size = info.isFile() ? info.size : undefined
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : (error as Error).message
    throw new CliError('ERR_INPUT', `Cannot read ${name}: it ${reason}.`, {
      details: { file: name },
    })
  }
  const stream: ReadStream = createReadStream(name)
  return { name, stream, size }
}

function isDirectory(fd: number): boolean {
  try {
    return fstatSync(fd).isDirectory()
  } catch {
    // A closed or unusable descriptor: reading it reports the failure.
    return false
  }
}

/** Passes bytes through and counts them (for standard input, which has no `bytesRead`). */
class ByteCounter extends Transform {
  bytesRead = 0
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytesRead += chunk.length
    done(null, chunk)
  }
}

/**
 * Fails the stream when a line grows past `limit` bytes: readline would otherwise buffer a file
 * without newlines whole.
 */
class LineLengthGuard extends Transform {
  readonly #limit: number
  #current = 0

  constructor(limit: number) {
    super()
    this.#limit = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const last = chunk.lastIndexOf(10)
    this.#current = last === -1 ? this.#current + chunk.length : chunk.length - last - 1
    if (this.#current > this.#limit) {
      done(
        new CliError(
          'ERR_INPUT',
          `A line is longer than ${this.#limit / 1024 / 1024} MiB; this is not a levelsession export.`,
        ),
      )
      return
    }
    done(null, chunk)
  }
}
