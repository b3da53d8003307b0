// The store-API workload that express-store.mjs and ops.mjs share: their common flags, the
// get/set/touch mix and the loop that runs it, the sessions set and touch receive, the callback
// wrapper every store gets, a private redis-server with its clients, and a classic-level store
// in a temp directory.
import { performance } from 'node:perf_hooks'
import { createClient } from 'redis'
import { cpuMicros, sessionData, tempDir } from './lib.mjs'
import { ownDir, releaseDir, startRedis } from './procs.mjs'

/** Flags both scripts take, for lib.mjs's `flags`. */
export const WORKLOAD_FLAGS = {
  sessions: { type: 'number', default: 20_000, env: 'BENCH_SESSIONS', help: 'sessions preloaded' },
  concurrency: { type: 'number', default: 64, env: 'BENCH_CONCURRENCY', help: 'calls in flight' },
  shape: {
    type: 'string',
    default: 'session',
    env: 'BENCH_SHAPE',
    help: "what set and touch receive: 'session' (req.session as express-session makes it: the store's createSession over what get returned) or 'plain' (a plain object with a Date in cookie.expires)",
  },
  redis: {
    type: 'string',
    default: '/usr/bin/redis-server',
    env: 'BENCH_REDIS_SERVER',
    help: 'redis-server binary (started on a free loopback port, no persistence)',
  },
}

/** `get,set,touch` percentages as numbers; throws unless they are three adding up to 100. */
export function parseMix(text) {
  const mix = text.split(',').map(Number)
  if (mix.length !== 3 || mix.some((n) => !(n >= 0)) || mix[0] + mix[1] + mix[2] !== 100) {
    throw new RangeError(`a mix is three percentages (get,set,touch) adding up to 100, not ${text}`)
  }
  return mix
}

/**
 * Runs `mix` (from parseMix) on `store` for `seconds` with `concurrency` calls in flight, each on
 * a uniformly random id; `set` and `touch` take a random one of `sessions`. Resolves to the calls
 * made, the gets that found nothing, and the seconds it took.
 */
export async function runMix({ store, sessions, ids, mix, seconds, concurrency }) {
  const getBelow = mix[0] / 100
  const setBelow = (mix[0] + mix[1]) / 100 // the rest touch
  let done = 0
  let misses = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const id = ids[Math.floor(Math.random() * ids.length)]
      const r = Math.random()
      if (r < getBelow) {
        if ((await callStore(store, 'get', id)) == null) misses++
      } else {
        const sess = sessions[Math.floor(Math.random() * sessions.length)]
        await callStore(store, r < setBelow ? 'set' : 'touch', id, sess)
      }
      done++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { done, misses, seconds: (performance.now() - started) / 1000 }
}

/**
 * 1,024 sessions as express-session hands a new one to a store: a plain object whose `cookie`
 * carries a live `Date` in `expires` (`maxAge` ahead, so no store treats it as expired), plus app
 * fields (about 300 bytes of JSON).
 */
export function expressPool(maxAge) {
  return Array.from({ length: 1024 }, (_, i) => {
    const data = sessionData(i, maxAge)
    data.cookie = { ...data.cookie, expires: new Date(Date.now() + maxAge) }
    return data
  })
}

/**
 * What `set` and `touch` receive. express-session calls both with `req.session`, which the store's
 * own `createSession` made from what its `get` returned (JSON: `cookie.expires` as a string), so
 * a store that remembers what it loaded (ours, to skip reading the stored session on an unchanged
 * touch) sees what it sees in an app. `shape` 'plain' passes the pool's plain objects instead,
 * which no store loaded.
 */
export function sessionsFor(store, shape, pool, ids) {
  checkShape(shape)
  if (shape === 'plain' || typeof store.createSession !== 'function') return pool
  return pool.map((data, i) =>
    store.createSession({ sessionID: ids[i % ids.length] }, JSON.parse(JSON.stringify(data))),
  )
}

/** Throws unless `shape` is one `sessionsFor` knows: check flags before starting anything. */
export function checkShape(shape) {
  if (shape !== 'session' && shape !== 'plain') {
    throw new TypeError("--shape must be 'session' or 'plain'")
  }
}

/** A promise over a store's callback API (the same thin wrapper for every store). */
export function callStore(store, method, ...args) {
  return new Promise((resolve, reject) => {
    store[method](...args, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

/**
 * A private redis-server, started on first use, and the clients connected to it: `close()` ends
 * both. Each store gets a client of its own.
 */
export function redisServer(binary) {
  let server
  const clients = []
  return {
    /** The running server (its `child` and `url`), or `undefined` before the first client. */
    get server() {
      return server
    },
    async client() {
      server ??= await startRedis(binary)
      const client = createClient({ url: server.url })
      client.on('error', (error) => console.error('redis client', error.message))
      await client.connect()
      clients.push(client)
      return client
    },
    /** CPU time of redis-server so far, in µs (0 before it starts). */
    cpu() {
      return server === undefined ? 0 : cpuMicros(server.child.pid)
    },
    async close() {
      for (const client of clients) client.destroy()
      await server?.stop()
    },
  }
}

/**
 * An express-session store on classic-level (`Store`: LevelSessionStore of this or another
 * build) in a temp directory, with `compact()` for after a preload and `close()`, which removes it.
 */
export async function levelStore(Store, options, label) {
  const dir = ownDir(await tempDir(label))
  const store = new Store({ path: dir, cleanupInterval: 0, ...options })
  await store.ready()
  return {
    store,
    compact: () => store.core.backend.db?.compactRange?.(' ', '\uffff'),
    close: async () => {
      await store.close()
      releaseDir(dir)
    },
  }
}
