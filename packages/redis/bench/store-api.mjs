// express-session's store API on connect-redis and on @levelsession/express over this backend,
// on one private redis-server, in alternating rounds: ops/s, client CPU per op, redis-server CPU
// per op and INFO commandstats per op. The workload of tools/bench/express-store.mjs (80% get,
// 15% set, 5% touch, 64 in flight, uniform keys); this script is for profiling the backend.
// Run after building core, express and redis:
//   nice -n -15 node --expose-gc bench/store-api.mjs [rounds] [seconds] [variants]
// variants: connect-redis, level-redis (default: both), floor (core + Express adapter on a Map),
// level-redis-ref (REF_REDIS=/path/to/other/build/dist/esm/index.js).
// LS_OPTS='{"hintCacheBytes":0}' passes options to redisBackend.
import { readFileSync } from 'node:fs'
import session from 'express-session'
import { RedisStore } from 'connect-redis'
import { createClient } from 'redis'
import { createSessionStore, generateSessionId } from '@levelsession/core'
import { LevelSessionStore } from '@levelsession/express'
import { redisBackend } from '@levelsession/redis'
import { sessionData } from '../../../tools/bench/lib.mjs'
import { installCleanup, startRedis } from '../../../tools/bench/procs.mjs'

void session
const rounds = Number(process.argv[2] ?? 3)
const seconds = Number(process.argv[3] ?? 2)
const names = (process.argv[4] ?? 'connect-redis,level-redis').split(',')
const SESSIONS = 20_000
const CONCURRENCY = 64
const MAX_AGE = 86_400_000
installCleanup(600)

const ids = Array.from({ length: SESSIONS }, () => generateSessionId())
const pool = Array.from({ length: 1024 }, (_, i) => {
  const data = sessionData(i, MAX_AGE)
  data.cookie = { ...data.cookie, expires: new Date(Date.now() + MAX_AGE) }
  return data
})
const call = (store, method, ...args) =>
  new Promise((resolve, reject) => {
    store[method](...args, (error, result) => (error ? reject(error) : resolve(result)))
  })

const redis = await startRedis()
const admin = await createClient({ url: redis.url }).connect()
const clients = []
async function client() {
  const c = await createClient({ url: redis.url }).connect()
  clients.push(c)
  return c
}

async function make(name) {
  if (name === 'connect-redis') return new RedisStore({ client: await client(), prefix: 'cr:' })
  if (name === 'level-redis' || name === 'level-redis-ref') {
    // level-redis-ref: the backend built elsewhere (REF_REDIS=<path to its dist/esm/index.js>),
    // e.g. an earlier commit, against this one in the same run.
    const make =
      name === 'level-redis' ? redisBackend : (await import(process.env.REF_REDIS)).redisBackend
    const core = createSessionStore({
      backend: make({
        client: await client(),
        prefix: `${name}:`,
        ...JSON.parse(process.env.LS_OPTS ?? '{}'),
      }),
      cleanupInterval: 0,
    })
    const store = new LevelSessionStore({ store: core })
    await store.ready()
    return store
  }
  if (name === 'floor') {
    // core and the Express adapter on an in-process Map: what the backend adds is the rest.
    const map = new Map()
    const backend = {
      name: 'map',
      open: async () => {},
      close: async () => {},
      load: async (id) => map.get(id),
      async update(id, mutate) {
        const next = await mutate(map.get(id))
        if (next === null) map.delete(id)
        else if (next !== undefined) map.set(id, next)
        return next === undefined ? map.get(id) : (next ?? undefined)
      },
      delete: async (id) => map.delete(id),
      listUser: async () => [],
      async *entries() {},
      count: async () => map.size,
      clear: async () => map.clear(),
      sweep: async () => ({ scanned: 0, deleted: 0 }),
    }
    const store = new LevelSessionStore({
      store: createSessionStore({ backend, cleanupInterval: 0 }),
    })
    await store.ready()
    return store
  }
  throw new TypeError(name)
}

function redisCpu() {
  const stat = readFileSync(`/proc/${redis.child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(stat[11]) + Number(stat[12])) * 10_000 // µs (100 ticks/s)
}

async function commandstats() {
  const text = await admin.sendCommand(['INFO', 'commandstats'])
  const out = {}
  for (const line of text.split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line)
    if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) }
  }
  return out
}

async function run(store, secs) {
  let done = 0
  const deadline = performance.now() + secs * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const id = ids[Math.floor(Math.random() * ids.length)]
      const r = Math.random()
      const data = pool[Math.floor(Math.random() * pool.length)]
      if (r < 0.8) {
        if ((await call(store, 'get', id)) == null) throw new Error('miss')
      } else if (r < 0.95) await call(store, 'set', id, data)
      else await call(store, 'touch', id, data)
      done++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return done
}

const stores = []
for (const name of names) {
  const store = await make(name)
  for (let i = 0; i < ids.length; i += 1000) {
    await Promise.all(ids.slice(i, i + 1000).map((id, j) => call(store, 'set', id, pool[j])))
  }
  await run(store, 1)
  stores.push({ name, store, rates: [] })
}
for (let round = 0; round < rounds; round++) {
  for (const target of round % 2 ? [...stores].reverse() : stores) {
    globalThis.gc?.()
    const before = await commandstats()
    const cpu0 = process.cpuUsage()
    const r0 = redisCpu()
    const t0 = performance.now()
    const done = await run(target.store, seconds)
    const elapsed = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const rcpu = redisCpu() - r0
    const after = await commandstats()
    const rate = done / elapsed
    target.rates.push(rate)
    const cmds = Object.entries(after)
      .map(([k, v]) => [k, v.calls - (before[k]?.calls ?? 0), v.usec - (before[k]?.usec ?? 0)])
      .filter(([k, calls]) => calls > 0 && k !== 'info')
      .map(
        ([k, calls, usec]) => `${k} ${(calls / done).toFixed(2)}x ${(usec / calls).toFixed(1)}µs`,
      )
    console.log(
      `${round + 1} ${target.name.padEnd(13)} ${Math.round(rate).toString().padStart(7)} ops/s` +
        `  node ${((cpu.user + cpu.system) / done).toFixed(1)} µs/op` +
        `  redis-server ${(rcpu / done).toFixed(1)} µs/op  ${cmds.join(', ')}`,
    )
  }
}
// Each variant against the first one, per round (the machine's load moves between rounds).
for (const target of stores.slice(1)) {
  const ratios = target.rates.map((r, i) => r / stores[0].rates[i]).sort((a, b) => a - b)
  console.log(
    `${target.name} / ${stores[0].name}: median ${ratios[ratios.length >> 1].toFixed(2)}x ` +
      `(${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  )
}
globalThis.gc?.()
const mem = process.memoryUsage()
console.log(
  `rss ${(mem.rss / 1e6).toFixed(0)} MB, heap ${(mem.heapUsed / 1e6).toFixed(0)} MB, arrayBuffers ${(mem.arrayBuffers / 1e6).toFixed(0)} MB`,
)
for (const c of [...clients, admin]) c.destroy()
await redis.stop()
