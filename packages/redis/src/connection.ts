/**
 * @module
 * One way to send a command through either a node-redis client or a node-redis cluster client,
 * routed by its first key, with a per-command timeout and a fixed reply mapping (so a client-wide
 * `typeMapping` set by the application never changes what the backend reads).
 */
import { RESP_TYPES } from 'redis'

export type Argument = string | Buffer

/** The per-command options the backend passes. */
export interface CommandOptions {
  typeMapping?: object
  timeout?: number
}

// Structural types: a client created with modules, scripts or a RESP version of its own still
// fits, where node-redis's own generic types would not be assignable.
/** The part of a node-redis 5 client (`createClient`) the backend uses. */
export interface RedisClient {
  sendCommand<T>(args: readonly Argument[], options?: CommandOptions): Promise<T>
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

export interface SendOptions {
  /** Bulk strings come back as Buffers. */
  binary?: boolean
}

export class Connection {
  readonly #client: RedisClient | RedisCluster
  readonly #timeout: number | undefined

  constructor(client: RedisClient | RedisCluster, timeout: number | undefined) {
    this.#client = client
    this.#timeout = timeout
  }

  get isCluster(): boolean {
    return isCluster(this.#client)
  }

  /** Sends one command to the node that owns `key`. */
  send<T>(key: string, args: Argument[], options: SendOptions = {}): Promise<T> {
    const commandOptions = {
      typeMapping: options.binary === true ? BINARY : TEXT,
      ...(this.#timeout === undefined ? {} : { timeout: this.#timeout }),
    }
    const client = this.#client
    const reply = isCluster(client)
      ? client.sendCommand<T>(key, false, args, commandOptions)
      : client.sendCommand<T>(args, commandOptions)
    return reply.catch((error: unknown) => {
      // node-redis's TimeoutError has no message; say what happened and which option bounds it.
      if (error instanceof Error && error.constructor.name === 'TimeoutError') {
        const wrapped = new Error(
          `no reply from Redis within ${this.#timeout} ms (commandTimeout)`,
          { cause: error },
        )
        wrapped.name = 'TimeoutError'
        throw wrapped
      }
      throw error
    })
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
        const [next, keys] = await node.sendCommand<[string, string[]]>(
          ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'],
          { typeMapping: TEXT, ...(this.#timeout === undefined ? {} : { timeout: this.#timeout }) },
        )
        cursor = next
        yield* keys
      } while (cursor !== '0')
    }
  }
}

function isCluster(client: RedisClient | RedisCluster): client is RedisCluster {
  return typeof (client as Partial<RedisCluster>).nodeClient === 'function'
}
