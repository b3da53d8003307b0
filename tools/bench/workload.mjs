// The store-API workload that express-store.mjs and ops.mjs share: the sessions set and touch
// receive, the callback wrapper every store gets, CPU time read from /proc, a private
// redis-server with its clients, and a classic-level store in a temp directory.
import { readFileSync } from 'node:fs'
import { createClient } from 'redis'
import { sessionData, tempDir } from './lib.mjs'
import { ownDir, releaseDir, startRedis } from './procs.mjs'

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

/** CPU time in µs of a process or thread, from its /proc stat file (Linux; ticks of 10 ms). */
export function cpuMicros(statPath) {
  const stat = readFileSync(statPath, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/** CPU time in µs of this process's main thread. */
export function mainThreadCpu() {
  return cpuMicros(`/proc/self/task/${process.pid}/stat`)
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
      return server === undefined ? 0 : cpuMicros(`/proc/${server.child.pid}/stat`)
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
