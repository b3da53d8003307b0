/**
 * @module
 * Throwaway redis-server processes for tests (`@levelsession/redis/testing`): a standalone
 * server, or a cluster of three masters, on free loopback ports in temp directories, stopped and
 * removed by `stop()`. Needs `redis-server` and `redis-cli` on PATH.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Whether redis-server is on PATH; in CI (CI=true) its absence fails the tests instead. */
export const hasRedisServer =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0

export const SKIP_MESSAGE =
  'redis-server/redis-cli not found on PATH: skipping the Redis tests (install redis-server; ' +
  'with CI=true this is a failure)'

/** The `it` of the test runner (vitest's, jest's, node:test's shape). */
interface TestFunction {
  (name: string, fn: () => void): void
  skip(name: string, fn: () => void): void
}

/**
 * What a test file does without redis-server: under CI=true, a failing test (CI must run the
 * Redis tests); otherwise a skipped test and a warning that says why. Call it in place of the
 * file's Redis tests.
 */
export function missingRedisServer(it: TestFunction, message = SKIP_MESSAGE): void {
  if (process.env.CI === 'true') {
    it('redis-server is installed (required when CI=true)', () => {
      throw new Error(message)
    })
  } else {
    console.warn(message)
    it.skip(message, () => undefined)
  }
}

export interface RedisServer {
  port: number
  url: string
  /** Stops the process (SIGKILL: a crash, not a shutdown) and keeps its directory. */
  kill(): Promise<void>
  /** Starts the process again on the same port and directory. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export interface RedisClusterServers {
  nodes: { port: number; url: string }[]
  stop(): Promise<void>
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A free port whose cluster-bus port (port + 10000) is free too. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000)
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => ({
      stdout: '',
    }))
    if (stdout.trim() === 'PONG') return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`redis-server on port ${port} did not answer`)
}

async function launch(extra: string[]): Promise<{
  port: number
  dir: string
  child: () => ChildProcess
  start: () => Promise<void>
  kill: () => Promise<void>
}> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-redis-'))
  const config = join(dir, 'redis.conf')
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      'daemonize no',
      'loglevel warning',
      `logfile ${join(dir, 'redis.log')}`,
      ...extra,
    ].join('\n') + '\n',
  )
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', [config], { stdio: 'ignore' })
    await waitForPing(port)
  }
  const kill = async () => {
    const c = child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill('SIGKILL')
    await exited
  }
  await start()
  return { port, dir, child: () => child!, start, kill }
}

/** A standalone server; `config` adds lines to its redis.conf (e.g. `appendonly yes`). */
export async function startStandalone(config: string[] = []): Promise<RedisServer> {
  const server = await launch(config)
  return {
    port: server.port,
    url: `redis://127.0.0.1:${server.port}`,
    kill: server.kill,
    restart: server.start,
    stop: async () => {
      await server.kill()
      await rm(server.dir, { recursive: true, force: true })
    },
  }
}

export async function startCluster(): Promise<RedisClusterServers> {
  const servers = await Promise.all(
    [0, 1, 2].map(() =>
      launch([
        'cluster-enabled yes',
        'cluster-config-file nodes.conf',
        'cluster-node-timeout 5000',
      ]),
    ),
  )
  const stop = async () => {
    await Promise.all(servers.map((s) => s.kill()))
    await Promise.all(servers.map((s) => rm(s.dir, { recursive: true, force: true })))
  }
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    for (const s of servers) {
      for (let i = 0; ; i++) {
        const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info'])
        if (stdout.includes('cluster_state:ok')) break
        if (i > 200) throw new Error(`cluster node ${s.port} never reached cluster_state:ok`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes: servers.map((s) => ({ port: s.port, url: `redis://127.0.0.1:${s.port}` })),
    stop,
  }
}
