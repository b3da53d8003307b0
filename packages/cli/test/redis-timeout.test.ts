/**
 * A Redis that accepts connections but stops answering (stopped with SIGSTOP, or not Redis at
 * all) fails the command within LEVELSESSION_REDIS_TIMEOUT instead of hanging it.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, json, tempDir } from './helpers.js'

const servers: Server[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  sockets.forEach((socket) => socket.destroy())
  await Promise.all(
    servers.splice(0).map((s) => new Promise((resolve) => s.close(() => resolve(undefined)))),
  )
})

/**
 * A TCP server on loopback: `answer(command)` gives the RESP reply to each command, or
 * undefined to leave it unanswered (the connection stays open).
 */
async function fakeRedis(answer: (command: string) => string | undefined): Promise<string> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('data', (chunk) => {
      // Each command is an array of bulk strings; its name is the first of them.
      for (const match of chunk.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([^\r]*)\r\n/g)) {
        const reply = answer(match[1]!.toUpperCase())
        if (reply !== undefined) socket.write(reply)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `redis://127.0.0.1:${(server.address() as { port: number }).port}`
}

const env = { LEVELSESSION_REDIS_TIMEOUT: '500' }

describe('a Redis that stops answering', () => {
  it('never answering at all: export --redis fails with ERR_REDIS_CONNECT, cluster or not', async () => {
    const url = await fakeRedis(() => undefined)
    const dir = await tempDir()
    for (const cluster of [[], ['--cluster']]) {
      const out = join(dir, 'out.jsonl')
      const run = await cli(['export', '--redis', url, ...cluster, out, '--json'], { env })
      expect(run.code).toBe(1)
      const error = json<{ error: { code: string; message: string } }>(run.stderr)
      expect(error.error.code).toBe('ERR_REDIS_CONNECT')
      expect(error.error.message).toMatch(/no reply from Redis within 500 ms/)
    }
  }, 30_000)

  it("answering the store's open, then not its reads: export --redis fails with ERR_STORE_IO", async () => {
    // Enough of Redis for withTargetStore and the backend's open (layout 2, 16 buckets).
    const replies: Record<string, string> = {
      HGET: '$2\r\n16\r\n',
      HSETNX: ':0\r\n',
      HMGET: '*2\r\n$1\r\n2\r\n$2\r\n16\r\n',
    }
    const url = await fakeRedis((command) =>
      command in replies ? replies[command] : command === 'ZSCAN' ? undefined : '+OK\r\n',
    )
    const dir = await tempDir()
    const run = await cli(['export', '--redis', url, join(dir, 'out.jsonl'), '--json'], { env })
    expect(run.code).toBe(1)
    const error = json<{ error: { code: string; message: string } }>(run.stderr)
    expect(error.error.code).toBe('ERR_STORE_IO')
    expect(error.error.message).toMatch(/no reply from Redis within 500 ms \(commandTimeout\)/)
  }, 30_000)

  it('answering the handshake, then not SCAN: import --from-redis fails with ERR_STORE_IO', async () => {
    const url = await fakeRedis((command) => (command === 'SCAN' ? undefined : '+OK\r\n'))
    const dir = await tempDir()
    const run = await cli(['import', join(dir, 'db'), '--from-redis', url, '--json'], { env })
    expect(run.code).toBe(1)
    const error = json<{ error: { code: string; message: string } }>(run.stderr)
    expect(error.error.code).toBe('ERR_STORE_IO')
    expect(error.error.message).toMatch(
      /^Reading the old store at .* failed after 0 keys: no reply/,
    )
  }, 30_000)
})
