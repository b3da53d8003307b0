/**
 * Helpers for the HTTP-level tests: polling, a client that never crashes the test process, a
 * loopback TCP proxy that can cut a client off from Redis (a network failure confined to one
 * client, so other tests on the same server are unaffected), and child processes that are always
 * killed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server, type Socket, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createClient } from 'redis'

/** Polls until `check` holds (never a fixed sleep). */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition') {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`${what} never held`)
}

export type Client = ReturnType<typeof createClient>

/**
 * A connected client as the README recommends: no offline queue, an `error` listener (the
 * errors are collected), and quick reconnection attempts.
 */
export async function connectClient(url: string): Promise<{ client: Client; errors: Error[] }> {
  const errors: Error[] = []
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: () => 50 },
  }).on('error', (error: Error) => errors.push(error))
  await client.connect()
  return { client, errors }
}

export interface CuttableProxy {
  url: string
  /** Drops every connection and refuses new ones, like a network partition. */
  cut(): Promise<void>
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

/** A TCP proxy on a free loopback port in front of the Redis server on `port`. */
export async function cuttableProxy(port: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  let server: Server
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((downstream) => {
        const upstream = connect(port, '127.0.0.1')
        track(downstream)
        track(upstream)
        downstream.pipe(upstream).pipe(downstream)
        downstream.on('close', () => upstream.destroy())
        upstream.on('close', () => downstream.destroy())
      })
      server.once('error', reject)
      server.listen(on, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
    })
  const stop = async () => {
    const closed = new Promise((resolve) => server.close(resolve))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  const own = await listen(0)
  let up = true
  return {
    url: `redis://127.0.0.1:${own}`,
    async cut() {
      if (!up) return
      up = false
      await stop()
    },
    async restore() {
      if (up) return
      await listen(own)
      up = true
    },
    async close() {
      if (up) await stop()
      up = false
    },
  }
}

export interface Child {
  process: ChildProcess
  /** Everything the child wrote to stderr so far. */
  stderr(): string
  /** Resolves to the first stdout line that parses as JSON. */
  firstMessage: Promise<unknown>
  /** Ends the child: closes its stdin (it exits on its own), then SIGKILL if it lingers. */
  stop(): Promise<number | null>
}

const children = new Set<Child>()

/**
 * Spawns `node script ...args` with piped stdio. The fixtures exit when their stdin closes, so
 * they also go away if this test process dies; `stopAll()` (in afterAll) ends any left.
 */
export function spawnNode(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  let out = ''
  proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const firstMessage = new Promise<unknown>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve(JSON.parse(line))
    })
    proc.once('exit', (code, signal) =>
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${err}`)),
    )
  })
  firstMessage.catch(() => undefined) // observed by whoever awaits it
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const child: Child = {
    process: proc,
    stderr: () => err,
    firstMessage,
    async stop() {
      children.delete(child)
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin.end()
        // Generous: a loaded CI machine can be slow to close the store and the client.
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
        const code = await exited
        clearTimeout(timer)
        return code
      }
      return proc.exitCode
    },
  }
  children.add(child)
  return child
}

/** Stops every child spawned by `spawnNode` that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()))
}
