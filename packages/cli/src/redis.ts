/**
 * @module
 * `--redis <url>` for `export` and `import`: the sessions of a Redis (or Redis Cluster) store of
 * `@levelsession/redis` instead of a LevelDB directory, so sessions can move between the two
 * engines through the backup format. The client is the CLI's own: it never retries a lost
 * connection (a command fails instead of waiting), and it is closed when the command ends.
 */
import { createSessionStore, type SessionStore } from '@levelsession/core'
import { DEFAULT_BUCKETS, DEFAULT_PREFIX, KeyLayout, redisBackend } from '@levelsession/redis'
import { Option, type Command } from 'commander'
import { createClient, createCluster } from 'redis'
import { type AnyData, type OpenedStore, storedOwners, withStore } from './database.js'
import { CliError, usageError } from './errors.js'
import { printable } from './output.js'
import { positiveInteger } from './options.js'

/** Ms to wait for the connection to Redis. */
const CONNECT_TIMEOUT = 5_000
/**
 * Ms to wait for a reply to one of the CLI's own Redis calls (see `connect`):
 * LEVELSESSION_REDIS_TIMEOUT, else 10 s.
 */
const REPLY_TIMEOUT = replyTimeout(process.env.LEVELSESSION_REDIS_TIMEOUT)

function replyTimeout(value: string | undefined): number {
  const ms = Number(value)
  // Beyond 2^31 - 1 ms, Node's timers fire at once.
  return value !== undefined && Number.isSafeInteger(ms) && ms > 0 && ms < 2 ** 31 ? ms : 10_000
}

/** The options `withRedis` adds. */
export interface RedisFlags {
  redis?: string
  prefix?: string
  cluster?: boolean
  buckets?: number
}

/** Adds `--redis <url>`, `--prefix <prefix>`, `--cluster` and `--buckets <n>`. */
export function withRedis(command: Command): Command {
  return command
    .addOption(new Option('--redis <url>', 'use the sessions in Redis (redis:// or rediss:// URL)'))
    .addOption(
      new Option('--prefix <prefix>', `with --redis: the store's key prefix`).default(
        DEFAULT_PREFIX,
      ),
    )
    .addOption(new Option('--cluster', 'with --redis: the URL is a node of a Redis Cluster'))
    .addOption(
      new Option(
        '--buckets <n>',
        `with --redis: buckets of a new prefix (default ${DEFAULT_BUCKETS}; an existing prefix keeps its own)`,
      ).argParser(positiveInteger),
    )
}

/** Where a command's sessions are: a LevelDB directory or a Redis store. */
export type Target =
  | { kind: 'level'; path: string }
  | { kind: 'redis'; url: string; prefix: string; cluster: boolean; buckets: number | undefined }

/**
 * Sorts out the positional arguments of `export [path] [file]` and `import [path] [file]`: with
 * `--redis` there is no path, so the first positional is the file.
 */
export function targetOf(
  command: string,
  positionals: (string | undefined)[],
  flags: RedisFlags,
): { target: Target; file: string | undefined } {
  const [first, second] = positionals
  if (flags.redis === undefined) {
    if (flags.cluster === true || flags.buckets !== undefined || flags.prefix !== DEFAULT_PREFIX) {
      throw usageError('--prefix, --cluster and --buckets apply to --redis only.')
    }
    if (first === undefined) {
      throw usageError(
        `${command} needs a database directory, or --redis <url>.`,
        `levelsession ${command} --help`,
      )
    }
    return { target: { kind: 'level', path: first }, file: second }
  }
  if (second !== undefined) {
    throw usageError(
      `With --redis, ${command} takes one file argument (got "${first}" and "${second}").`,
      `levelsession ${command} --redis <url> [file]`,
    )
  }
  const url = redisUrl('--redis', flags.redis)
  if (flags.prefix === undefined || flags.prefix === '' || /[{}]/.test(flags.prefix)) {
    throw usageError('--prefix must be non-empty and must not contain { or }.')
  }
  return {
    target: {
      kind: 'redis',
      url,
      prefix: flags.prefix,
      cluster: flags.cluster === true,
      buckets: flags.buckets,
    },
    file: first,
  }
}

/**
 * The URL given as `flag`: `env:NAME` reads it from that environment variable, which keeps a
 * password out of the process list and the shell's history. Refuses anything but a `redis://` or
 * `rediss://` URL.
 */
export function redisUrl(flag: string, given: string): string {
  const name = /^env:(.*)$/s.exec(given)?.[1]
  if (name === undefined) return checkRedisUrl(flag, given)
  const value = process.env[name]
  if (name === '' || value === undefined || value === '') {
    throw usageError(
      `${flag} ${printable(given)}: the environment variable ${printable(name)} is not set.`,
      `for example export REDIS_URL=redis://127.0.0.1:6379, then ${flag} env:REDIS_URL`,
    )
  }
  return checkRedisUrl(`${flag} (from $${name})`, value)
}

/** Refuses anything but a `redis://` or `rediss://` URL given as `flag`. */
function checkRedisUrl(flag: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    url = new URL('invalid:')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    // Whatever was typed (a scheme forgotten, `user:password@host`), credentials are not repeated.
    const at = value.lastIndexOf('@')
    const shown = at < 0 ? value : `***@${value.slice(at + 1)}`
    throw usageError(
      `${flag} expects a redis:// or rediss:// URL, got "${shown}".`,
      `for example ${flag.split(' ')[0]} redis://127.0.0.1:6379`,
    )
  }
  // The path is the database number, as node-redis reads it (anything else fails in it).
  if (!/^\/?\d*$/.test(url.pathname)) {
    throw usageError(
      `${flag}: the path of a Redis URL is a database number, got "${url.pathname}".`,
      `for example ${flag.split(' ')[0]} redis://127.0.0.1:6379/2`,
    )
  }
  return value
}

/** Where the sessions are, for results: `{ path }` or `{ redis, prefix }` (password hidden). */
export function whereOf(target: Target, opened: OpenedStore): Record<string, string> {
  return target.kind === 'level'
    ? { path: opened.path }
    : { redis: redactUrl(target.url), prefix: target.prefix }
}

/** The URL with its password replaced by `***`. */
export function redactUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  // `redis://secret@host`: many clients read a lone user part as the password.
  else if (parsed.username !== '') parsed.username = '***'
  return parsed.toString().replace(/\/$/, '')
}

export interface TargetOptions {
  /** The store may be created (`import`); otherwise it must already hold sessions. */
  create?: boolean
}

/**
 * Runs `task` with the target's store open, and always closes it (and the Redis client). For
 * Redis, `path` is a label such as `redis://10.0.0.1:6379 prefix sess:`.
 */
export async function withTargetStore<T>(
  target: Target,
  task: (opened: OpenedStore) => Promise<T>,
  options: TargetOptions = {},
): Promise<T> {
  if (target.kind === 'level') return withStore(target.path, task, options)
  const client = await connect(target)
  try {
    const meta = new KeyLayout(target.prefix, DEFAULT_BUCKETS).meta
    let found: string | null
    try {
      found = ((await client.sendCommand(meta, false, ['HGET', meta, 'buckets'])) ?? null) as
        string | null
    } catch (cause) {
      throw new CliError('ERR_STORE_IO', `Redis failed: ${(cause as Error).message}`)
    }
    const label = `${redactUrl(target.url)} prefix ${target.prefix}`
    if (found === null && options.create !== true) {
      throw new CliError(
        'ERR_DATABASE_MISSING',
        `No sessions under prefix "${target.prefix}" in ${redactUrl(target.url)}.`,
        {
          hint: "Pass the app's redisBackend prefix with --prefix (default sess:).",
          details: { redis: redactUrl(target.url), prefix: target.prefix },
        },
      )
    }
    if (found !== null && target.buckets !== undefined && Number(found) !== target.buckets) {
      throw usageError(
        `Prefix "${target.prefix}" already uses ${found} buckets; --buckets ${target.buckets} does not match.`,
        'omit --buckets to use the prefix as it is, or choose another prefix',
      )
    }
    const store: SessionStore<AnyData> = createSessionStore<AnyData>({
      backend: redisBackend({
        client: client.raw,
        prefix: target.prefix,
        buckets: found === null ? (target.buckets ?? DEFAULT_BUCKETS) : Number(found),
        hintCacheBytes: 0, // each session is read or written once
        commandTimeout: REPLY_TIMEOUT,
      }),
      cleanupInterval: 0,
      userId: storedOwners,
    })
    try {
      await store.ready()
      return await task({ store, path: label, created: found === null })
    } finally {
      await store.close()
    }
  } finally {
    await client.close()
  }
}

export interface Connected {
  raw: Parameters<typeof redisBackend>[0]['client']
  sendCommand(key: string, readonly: boolean, args: string[]): Promise<unknown>
  /** Keys matching `pattern`, a SCAN batch at a time, over every master of a cluster. */
  scan(pattern: string, count: number): AsyncGenerator<string[]>
  close(): Promise<void>
}

/** A connection of the CLI's own to the Redis at `url` (see `connect`). */
export function connectRedis(url: string, cluster: boolean): Promise<Connected> {
  return connect({ kind: 'redis', url, prefix: DEFAULT_PREFIX, cluster, buckets: undefined })
}

/**
 * Connects once, without retrying: an unreachable Redis is an error, not a wait. Every call of
 * the CLI's own (the handshake, the meta read, the source's SCAN and reads) is bounded by
 * REPLY_TIMEOUT: a Redis that accepts the connection but never answers (stopped, or not Redis)
 * fails the command instead of hanging it, and the client is destroyed so the process can exit.
 * The store's own calls have the backend's `commandTimeout`.
 */
async function connect(target: Extract<Target, { kind: 'redis' }>): Promise<Connected> {
  const socket = { connectTimeout: CONNECT_TIMEOUT, reconnectStrategy: false as const }
  // node-redis emits `error` on a lost connection; without a listener it would crash the CLI.
  // The failure itself reaches the command that was waiting for Redis.
  const ignore = () => undefined
  const unreachable = (cause: unknown) =>
    new CliError(
      'ERR_REDIS_CONNECT',
      `Cannot connect to ${redactUrl(target.url)}: ${sentence((cause as Error).message || String(cause))}`,
      {
        hint: 'check the URL, that Redis is running and reachable, and its password',
        details: { redis: redactUrl(target.url) },
      },
    )
  if (target.cluster) {
    const { username, password } = new URL(target.url)
    const cluster = createCluster({
      rootNodes: [{ url: target.url }],
      defaults: {
        disableOfflineQueue: true,
        socket,
        ...(username === '' ? {} : { username: decodeURIComponent(username) }),
        ...(password === '' ? {} : { password: decodeURIComponent(password) }),
      },
    }).on('error', ignore)
    const bounded = boundTo(cluster)
    try {
      await withDeadline(cluster.connect(), cluster)
    } catch (cause) {
      await shut(cluster)
      throw unreachable(cause)
    }
    return {
      raw: cluster,
      sendCommand: (key, readonly, args) => bounded(cluster.sendCommand(key, readonly, args)),
      async *scan(pattern, count) {
        for (const master of cluster.masters) {
          const node = await withDeadline(cluster.nodeClient(master), cluster)
          yield* boundedIterator(node.scanIterator({ MATCH: pattern, COUNT: count }), bounded)
        }
      },
      close: () => shut(cluster),
    }
  }
  const client = createClient({ url: target.url, disableOfflineQueue: true, socket }).on(
    'error',
    ignore,
  )
  const bounded = boundTo(client)
  try {
    await withDeadline(client.connect(), client)
  } catch (cause) {
    await shut(client)
    throw unreachable(cause)
  }
  return {
    raw: client,
    sendCommand: (_key, _readonly, args) => bounded(client.sendCommand(args)),
    scan: (pattern, count) =>
      boundedIterator(client.scanIterator({ MATCH: pattern, COUNT: count }), bounded),
    close: () => shut(client),
  }
}

/**
 * A wrapper for the calls of `client`: once calls are pending and none has been answered for
 * REPLY_TIMEOUT, the client is destroyed (its pending commands then fail, and its socket no
 * longer holds the process open) and those calls fail with a timeout error. A watchdog per
 * client, not a timer per call: a source is read with hundreds of thousands of calls.
 */
function boundTo(client: { isOpen: boolean; destroy(): void }) {
  let pending = 0
  let progress = Date.now()
  let timedOut = false
  let watchdog: NodeJS.Timeout | undefined
  const check = () => {
    if (pending === 0 || Date.now() - progress < REPLY_TIMEOUT) return
    timedOut = true
    if (client.isOpen) client.destroy()
  }
  const settled = () => {
    progress = Date.now()
    if (--pending === 0) clearInterval(watchdog)
  }
  return <T>(call: Promise<T>): Promise<T> => {
    if (pending++ === 0) {
      progress = Date.now()
      watchdog = setInterval(check, Math.max(10, REPLY_TIMEOUT / 4))
    }
    return call.then(
      (value) => {
        settled()
        return value
      },
      (error: unknown) => {
        settled()
        throw timedOut ? timeoutError() : error
      },
    )
  }
}

/**
 * `call`, or a timeout error after REPLY_TIMEOUT, destroying `client`: for the few calls that a
 * destroy may leave unsettled (a cluster client's connect and node lookups run on a discovery
 * connection that its destroy() does not close).
 */
function withDeadline<T>(call: Promise<T>, client: { isOpen: boolean; destroy(): void }) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError())
      if (client.isOpen) client.destroy()
    }, REPLY_TIMEOUT)
  })
  call.catch(() => undefined) // settled late, after the deadline answered
  return Promise.race([call, late]).finally(() => clearTimeout(timer))
}

function timeoutError(): Error {
  return new Error(`no reply from Redis within ${REPLY_TIMEOUT} ms`)
}

/** Each step of `iterator` bounded (see `boundTo`). */
async function* boundedIterator<T>(
  iterator: AsyncIterator<T>,
  bounded: <R>(call: Promise<R>) => Promise<R>,
): AsyncGenerator<T> {
  for (;;) {
    const step = await bounded(iterator.next())
    if (step.done === true) return
    yield step.value
  }
}

/**
 * Closes a client once its work is done (every call of the CLI and of the store has settled).
 * destroy(), not close(): close() waits for the replies of commands still pending, which a Redis
 * that stopped answering never sends (those calls already failed at their timeout).
 */
async function shut(client: { isOpen: boolean; destroy(): void }): Promise<void> {
  if (client.isOpen) client.destroy()
  return Promise.resolve()
}

/** Ends `text` with a full stop unless it already ends with punctuation. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`
}
