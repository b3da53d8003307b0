/**
 * @module
 * One way to send a command through either a node-redis client or a node-redis cluster client,
 * routed by its first key, with a time limit and a fixed reply mapping (so a client-wide
 * `typeMapping` set by the application never changes what the backend reads).
 *
 * The time limit is shared: commands sent within one short window share one AbortController
 * and one timer, instead of node-redis's `timeout` option, which makes an `AbortSignal.timeout`
 * per command (that alone halved throughput). The window's signal removes commands still
 * queued (offline queue); it is attached only while the client is not ready, as a ready client
 * writes every command within the tick (an abort listener per command costs as much as the
 * command). The deadline also bounds commands already written, whose late replies are then
 * ignored.
 */
import { setMaxListeners } from 'node:events'
import { RESP_TYPES } from 'redis'
import { monotonic, unwait, wait } from './timers.js'

export type Argument = string | Buffer

/** The per-command options the backend passes. */
export interface CommandOptions {
  typeMapping?: object
  abortSignal?: AbortSignal
}

// Structural types: a client created with modules, scripts or a RESP version of its own still
// fits, where node-redis's own generic types would not be assignable.
/** The part of a node-redis 5 client (`createClient`) the backend uses. */
export interface RedisClient {
  sendCommand<T>(args: readonly Argument[], options?: CommandOptions): Promise<T>
  /** Connected and past the handshake: commands are written at once, not queued. */
  readonly isReady?: boolean
}

/** The part of a node-redis 5 cluster client (`createCluster`) the backend uses. */
export interface RedisCluster {
  sendCommand<T>(
    firstKey: Argument | undefined,
    isReadonly: boolean | undefined,
    args: readonly Argument[],
    options?: CommandOptions,
  ): Promise<T>
  readonly masters: readonly unknown[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  nodeClient(node: any): Promise<RedisClient>
}

/** Bulk strings as Buffers (session values may be binary); everything else as node-redis reads it. */
const BINARY = { [RESP_TYPES.BLOB_STRING]: Buffer } as const
const TEXT = {} as const

const BINARY_OPTIONS = { typeMapping: BINARY } as const
const TEXT_OPTIONS = { typeMapping: TEXT } as const

/** Commands sent in one window share its signal and its deadline. */
interface Window {
  opened: number
  signal: AbortSignal
  /** Rejecters of the window's commands still waiting; all called at the deadline. */
  pending: Set<(error: Error) => void>
}

export class Connection {
  readonly #client: RedisClient | RedisCluster
  readonly #timeout: number | undefined
  /** How long a window stays open for new commands: a limit is at most this much longer. */
  readonly #slack: number
  #window: Window | undefined

  constructor(client: RedisClient | RedisCluster, timeout: number | undefined) {
    this.#client = client
    this.#timeout = timeout
    this.#slack = timeout === undefined ? 0 : Math.max(1, Math.min(50, Math.floor(timeout / 4)))
  }

  /** The current window, or a new one once it has been open for `#slack` ms. */
  #currentWindow(timeout: number): Window {
    // Monotonic and real: a test's fake or frozen Date must neither keep a window open past its
    // deadline nor cut one short.
    const now = monotonic()
    const open = this.#window
    if (open !== undefined && now - open.opened < this.#slack) return open
    const controller = new AbortController()
    // One signal serves every command of the window: no listener-count warnings.
    setMaxListeners(0, controller.signal)
    const window: Window = { opened: now, signal: controller.signal, pending: new Set() }
    wait(() => {
      if (this.#window === window) this.#window = undefined
      const error = timeoutError(timeout)
      controller.abort(error)
      for (const reject of window.pending) reject(error)
      window.pending.clear()
    }, timeout + this.#slack).unref()
    this.#window = window
    return window
  }

  /** `reply`, or the window's timeout error if the window's deadline comes first. */
  #bound<T, R>(
    reply: Promise<T>,
    window: Window,
    map: (reply: T) => R,
    recover: ((error: unknown) => R | Promise<R>) | undefined,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      window.pending.add(reject)
      reply.then(
        (value) => {
          // Already rejected at the deadline: a late reply runs neither map nor recover.
          if (!window.pending.delete(reject)) return
          try {
            resolve(map(value))
          } catch (error) {
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            reject(error)
          }
        },
        (error: unknown) => {
          if (!window.pending.delete(reject)) return
          try {
            if (recover === undefined) throw error
            resolve(recover(error))
          } catch (failed) {
            // node-redis rejects with Errors; pass them on as they are.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            reject(failed)
          }
        },
      )
    })
  }

  get isCluster(): boolean {
    return isCluster(this.#client)
  }

  /**
   * Sends one command to the node that owns `key`; with `binary`, bulk strings come back as
   * Buffers (views of node-redis's read buffer: copy what you keep).
   */
  send<T>(key: string, args: Argument[], binary = false): Promise<T> {
    return this.sendMap(key, args, binary, identity<T>)
  }

  /**
   * `send`, with the reply passed through `map` (which may throw) before the promise settles, and
   * Redis's refusal through `recover` when given (a timeout is not passed to it): the caller's
   * continuation without a promise of its own.
   */
  sendMap<T, R>(
    key: string,
    args: Argument[],
    binary: boolean,
    map: (reply: T) => R,
    recover?: (error: unknown) => R | Promise<R>,
  ): Promise<R> {
    const client = this.#client
    const timeout = this.#timeout
    const window = timeout === undefined ? undefined : this.#currentWindow(timeout)
    // A cluster routes to per-node clients whose state is not visible here: always attach it.
    const commandOptions =
      window === undefined || (client as RedisClient).isReady === true
        ? binary
          ? BINARY_OPTIONS
          : TEXT_OPTIONS
        : { typeMapping: binary ? BINARY : TEXT, abortSignal: window.signal }
    const reply = isCluster(client)
      ? client.sendCommand<T>(key, false, args, commandOptions)
      : client.sendCommand<T>(args, commandOptions)
    return window === undefined
      ? reply.then(map, recover)
      : this.#bound(reply, window, map, recover)
  }

  /** Every key matching `pattern` on every master (SCAN; duplicates possible). */
  async *scan(pattern: string): AsyncGenerator<string> {
    const client = this.#client
    const nodes: RedisClient[] = isCluster(client)
      ? await Promise.all(client.masters.map((m) => client.nodeClient(m)))
      : [client]
    for (const node of nodes) {
      let cursor = '0'
      do {
        const scan = node.sendCommand<[string, string[]]>(
          ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'],
          { typeMapping: TEXT },
        )
        const timeout = this.#timeout
        const [next, keys] =
          timeout === undefined
            ? await scan
            : await this.#bound(scan, this.#currentWindow(timeout), identity, undefined)
        cursor = next
        yield* keys
      } while (cursor !== '0')
    }
  }
}

function identity<T>(value: T): T {
  return value
}

function isCluster(client: RedisClient | RedisCluster): client is RedisCluster {
  return typeof (client as Partial<RedisCluster>).nodeClient === 'function'
}

/** The error a command gets when Redis has not answered in time. */
export function timeoutError(timeout: number): Error {
  const error = new Error(`no reply from Redis within ${timeout} ms (commandTimeout)`)
  error.name = 'TimeoutError'
  return error
}

/** Whether `error` is Redis's reply `code …` (e.g. `WRONGTYPE`, `ERR syntax error`). */
export function isReplyError(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(code)
}

/** Whether `error` is a `timeoutError`. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError'
}

/**
 * `promise`, or a `timeoutError` once `ms` pass first (on the real timer of import time). The
 * promise is still observed after the deadline: never an unhandled rejection.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined)
  let timer: ReturnType<typeof wait> | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = wait(() => reject(timeoutError(ms)), ms)
      }),
    ])
  } finally {
    unwait(timer)
  }
}
