// Round trips of a session write on a real redis-server (started here on a free loopback port):
// the generic update (read, then compare-and-set), the update with a warm hint (compare-and-set
// only) and the proposed one-round-trip save (policy computed in Lua).
// Run after `npm run build`: node bench/round-trips.mjs [operations]
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createClient } from 'redis'
import { redisBackend } from '@levelsession/redis'

const total = Number(process.argv[2] ?? 20_000)
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address()
    s.close(() => resolve(port))
  })
})
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
  stdio: 'ignore',
})
let client
for (let i = 0; ; i++) {
  try {
    client = await createClient({ url: `redis://127.0.0.1:${port}` }).connect()
    break
  } catch (error) {
    if (i > 100) throw error
    await new Promise((r) => setTimeout(r, 50))
  }
}
let sent = 0
const counting = {
  sendCommand: (args, options) => {
    sent++
    return client.sendCommand(args, options)
  },
}
const value = Buffer.from(JSON.stringify({ cookie: { originalMaxAge: 86400000 }, views: 1 }))
const ids = Array.from({ length: 1000 }, (_, i) => `session-${i}`)
// What SessionStore.set's mutate does (sliding expiry, no cap).
const setMutate = (id, now) => (current) => ({
  id,
  value,
  createdAt: current !== undefined && current.expiresAt > now ? current.createdAt : now,
  expiresAt: now + 86_400_000,
})

async function measure(name, backend, op, inFlight) {
  await backend.open()
  for (const id of ids) await backend.load(id) // warm hints where the backend keeps them
  sent = 0
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const id = ids[next++ % ids.length]
        await op(backend, id)
      }
    }),
  )
  const ms = performance.now() - started
  return {
    name,
    inFlight,
    'commands/op': +(sent / total).toFixed(2),
    'ops/s': Math.round((total / ms) * 1000),
    'µs/op': +((ms * 1000) / total).toFixed(1),
  }
}

const update = (b, id) => b.update(id, setMutate(id, Date.now()))
const save = (b, id) => b.save(id, { now: Date.now(), ttl: 86_400_000, fixed: false, value })
const rows = []
for (const inFlight of [1, 64]) {
  const p = `bench${inFlight}:`
  rows.push(
    await measure(
      'update, no hint (read + CAS)',
      redisBackend({ client: counting, prefix: p, hintCacheBytes: 0 }),
      update,
      inFlight,
    ),
  )
  rows.push(
    await measure(
      'update, warm hint (CAS)',
      redisBackend({ client: counting, prefix: p }),
      update,
      inFlight,
    ),
  )
  rows.push(
    await measure(
      'save (Lua policy)',
      redisBackend({ client: counting, prefix: p }),
      save,
      inFlight,
    ),
  )
  rows.push(
    await measure(
      'load (GET)',
      redisBackend({ client: counting, prefix: p }),
      (b, id) => b.load(id),
      inFlight,
    ),
  )
}
console.table(rows)
client.destroy()
server.kill('SIGKILL')
