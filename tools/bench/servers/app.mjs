// One benchmark app server, run as a child of http.mjs:
//   node tools/bench/servers/app.mjs <variant> <port>
// Env: BENCH_REDIS_URL (redis variants), BENCH_DIR (classic-level variants; the parent removes it).
// Routes: GET / increments `views` (a get and a set); GET /read only reads it. Prints
// "listening <port>" when ready; exits on SIGTERM/SIGINT or when the parent goes away.
import { createRequire } from 'node:module'
import { createServer } from 'node:http'

const require = createRequire(import.meta.url)

export const VARIANTS = {
  'express-memory': 'Express 5 + express-session, MemoryStore',
  'express-memorystore': 'Express 5 + express-session, memorystore',
  'express-connect-redis': 'Express 5 + express-session, connect-redis 9 (node-redis 5)',
  'express-level': 'Express 5 + express-session, @levelsession/express (classic-level)',
  'express-level-redis': 'Express 5 + express-session, @levelsession/express on Redis',
  'express-level-redis-cache':
    'Express 5 + express-session, @levelsession/express on Redis, readCache: true',
  // Not run by default: what skipping most touch writes is worth.
  'express-level-touch': 'Express 5 + express-session, @levelsession/express, touchAfter 60 s',
  // Not run by default: the least a write-through classic-level store can cost (floor-store.mjs).
  'express-level-floor': 'Express 5 + express-session, a minimal classic-level store',
  'koa-cookie': 'Koa 3 + koa-session 7, default cookie store (session in the cookie)',
  'koa-map': 'Koa 3 + koa-session 7, external store on a Map (no serialization)',
  'koa-level': 'Koa 3 + koa-session 7, @levelsession/koa (classic-level)',
  'koa-level-redis': 'Koa 3 + koa-session 7, @levelsession/koa on Redis',
  'hono-memory': 'Hono 4 + @levelsession/hono on memory-level (the ceiling)',
  'hono-level': 'Hono 4 + @levelsession/hono (classic-level)',
}

const MAX_AGE = 86_400_000
const SECRET = 'bench-secret-not-for-production'

async function redisClient() {
  const { createClient } = await import('redis')
  const url = process.env.BENCH_REDIS_URL
  if (url === undefined) throw new Error('BENCH_REDIS_URL is required for redis variants')
  const client = createClient({ url })
  client.on('error', (error) => console.error('redis client', error.message))
  await client.connect()
  return client
}

function benchDir() {
  const dir = process.env.BENCH_DIR
  if (dir === undefined) throw new Error('BENCH_DIR is required for classic-level variants')
  return dir
}

/** The store for a variant, and what to close on exit. */
async function makeStore(variant) {
  switch (variant) {
    case 'express-memory': {
      const { default: session } = await import('express-session')
      return { store: new session.MemoryStore(), close: async () => {} }
    }
    case 'express-memorystore': {
      const { default: session } = await import('express-session')
      const MemoryStore = require('memorystore')(session)
      return { store: new MemoryStore(), close: async () => {} }
    }
    case 'express-connect-redis': {
      const { RedisStore } = await import('connect-redis')
      const client = await redisClient()
      return {
        store: new RedisStore({ client, prefix: 'cr:' }),
        close: async () => client.destroy(),
      }
    }
    case 'express-level':
    case 'express-level-touch':
    case 'koa-level': {
      const { LevelSessionStore } = await import(
        variant === 'koa-level' ? '@levelsession/koa' : '@levelsession/express'
      )
      const touch = variant === 'express-level-touch' ? { touchAfter: 60_000 } : {}
      const store = new LevelSessionStore({ path: benchDir(), cleanupInterval: 0, ...touch })
      await store.ready()
      return { store, close: () => store.close() }
    }
    case 'express-level-floor': {
      const { floorStore } = await import('./floor-store.mjs')
      return floorStore(benchDir())
    }
    case 'express-level-redis':
    case 'express-level-redis-cache':
    case 'koa-level-redis': {
      const { LevelSessionStore } = await import(
        variant === 'koa-level-redis' ? '@levelsession/koa' : '@levelsession/express'
      )
      const { createSessionStore } = await import('@levelsession/core')
      // BENCH_REDIS_MODULE: another build's dist/esm/index.js, for an A/B of two builds in one run.
      const { redisBackend } = await import(process.env.BENCH_REDIS_MODULE || '@levelsession/redis')
      const client = await redisClient()
      const core = createSessionStore({
        backend: redisBackend({
          client,
          prefix: `${variant}:`,
          readCache: variant === 'express-level-redis-cache',
        }),
        cleanupInterval: 0,
      })
      const store = new LevelSessionStore({ store: core })
      await store.ready()
      return {
        store,
        close: async () => {
          await store.close()
          await core.close()
          client.destroy()
        },
      }
    }
    case 'hono-memory':
    case 'hono-level': {
      const { createSessionStore } = await import('@levelsession/core')
      const store =
        variant === 'hono-level'
          ? createSessionStore({ path: benchDir(), cleanupInterval: 0 })
          : createSessionStore({
              db: new (await import('memory-level')).MemoryLevel(),
              cleanupInterval: 0,
            })
      await store.ready()
      return { store, close: () => store.close() }
    }
    case 'koa-cookie':
      return { store: undefined, close: async () => {} }
    case 'koa-map': {
      const map = new Map()
      const store = {
        get: (key) => map.get(key),
        set: (key, sess) => void map.set(key, sess),
        destroy: (key) => void map.delete(key),
      }
      return { store, close: async () => {} }
    }
    default:
      throw new TypeError(`unknown variant ${variant}`)
  }
}

async function expressApp(store) {
  const { default: express } = await import('express')
  const { default: session } = await import('express-session')
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.use(
    session({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: MAX_AGE, sameSite: 'lax' },
    }),
  )
  app.get('/', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1
    res.send(`views ${req.session.views}`)
  })
  app.get('/read', (req, res) => {
    res.send(`views ${req.session.views ?? 0}`)
  })
  return app
}

async function koaApp(store) {
  const { default: Koa } = await import('koa')
  const { default: session } = await import('koa-session')
  const app = new Koa()
  app.keys = [SECRET]
  app.use(
    session(
      {
        maxAge: MAX_AGE,
        sameSite: 'lax',
        ...(store === undefined ? {} : { store }),
      },
      app,
    ),
  )
  app.use((ctx) => {
    if (ctx.method !== 'GET') return
    if (ctx.path === '/') {
      ctx.session.views = (ctx.session.views ?? 0) + 1
      ctx.body = `views ${ctx.session.views}`
    } else if (ctx.path === '/read') {
      ctx.body = `views ${ctx.session.views ?? 0}`
    }
  })
  return app
}

async function honoApp(store) {
  const { Hono } = await import('hono')
  const { getRequestListener } = await import('@hono/node-server')
  const { session } = await import('@levelsession/hono')
  const app = new Hono()
  app.use(session({ store, secret: SECRET, cookie: { maxAge: MAX_AGE } }))
  app.get('/', (c) => {
    const s = c.get('session')
    const views = (s.get('views') ?? 0) + 1
    s.set('views', views)
    return c.text(`views ${views}`)
  })
  app.get('/read', (c) => c.text(`views ${c.get('session').get('views') ?? 0}`))
  return getRequestListener(app.fetch)
}

const [variant, portArg] = process.argv.slice(2)
if (!(variant in VARIANTS) || !/^\d+$/.test(portArg ?? '')) {
  console.error(`usage: node servers/app.mjs <${Object.keys(VARIANTS).join('|')}> <port>`)
  process.exit(2)
}

const { store, close } = await makeStore(variant)
const handler = variant.startsWith('koa-')
  ? (await koaApp(store)).callback()
  : variant.startsWith('hono-')
    ? await honoApp(store)
    : await expressApp(store)
const server = createServer(handler)
server.keepAliveTimeout = 60_000

let stopping = false
async function stop(code) {
  if (stopping) return
  stopping = true
  // Bounded: a stuck close must not keep the child alive.
  setTimeout(() => process.exit(code), 3000).unref()
  server.closeAllConnections()
  server.close()
  try {
    await close()
  } finally {
    process.exit(code)
  }
}
process.on('SIGTERM', () => void stop(0))
process.on('SIGINT', () => void stop(0))
// Started with an IPC channel: when the parent dies, the channel closes and so do we.
process.on('disconnect', () => void stop(0))

server.listen(Number(portArg), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
