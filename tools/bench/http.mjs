// Over HTTP: each framework/store variant runs in its own child process (servers/app.mjs);
// autocannon in this process drives it with N connections, each with its own session cookie.
// Routes: GET / (read, increment, save) and GET /read (read; express-session touches).
// Run `node tools/bench/http.mjs --help` for the flags.
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { cpuMicros, environment, flags, fmt, median, table, tempDir } from './lib.mjs'
import {
  freePort,
  installCleanup,
  ownDir,
  releaseDir,
  spawnChild,
  startRedis,
  stopChild,
  waitForLine,
} from './procs.mjs'

const VARIANTS = {
  'express-memory': "express-session's MemoryStore",
  'express-memorystore': 'memorystore',
  'express-connect-redis': 'connect-redis 9',
  'express-level': '@levelsession/express, classic-level',
  'express-level-redis': '@levelsession/express on Redis',
  'express-level-redis-cache': '@levelsession/express on Redis, readCache: true',
  'express-level-touch': '@levelsession/express, classic-level, touchAfter 60 s (not by default)',
  'express-level-floor': 'a minimal write-through classic-level store (not by default)',
  'koa-cookie': 'koa-session default (cookie) store',
  'koa-map': 'koa-session external store on a Map',
  'koa-level': '@levelsession/koa, classic-level',
  'koa-level-redis': '@levelsession/koa on Redis',
  'hono-memory': '@levelsession/hono on memory-level',
  'hono-level': '@levelsession/hono, classic-level',
}
const ROUTES = ['/', '/read']

const opts = flags(
  {
    rounds: { type: 'number', default: 3, env: 'BENCH_ROUNDS', help: 'measured rounds' },
    duration: {
      type: 'number',
      default: 5,
      env: 'BENCH_DURATION',
      help: 'seconds per variant, route and round',
    },
    warmup: {
      type: 'number',
      default: 2,
      env: 'BENCH_WARMUP',
      help: 'warm-up seconds per variant and route',
    },
    connections: {
      type: 'number',
      default: 50,
      env: 'BENCH_CONNECTIONS',
      help: 'connections, each with its own session',
    },
    variants: {
      type: 'string',
      default: Object.keys(VARIANTS)
        .filter((name) => name !== 'express-level-touch' && name !== 'express-level-floor')
        .join(','),
      env: 'BENCH_VARIANTS',
      help: `comma-separated subset of ${Object.keys(VARIANTS).join(',')}`,
    },
    routes: {
      type: 'string',
      default: ROUTES.join(','),
      env: 'BENCH_ROUTES',
      help: 'comma-separated subset of /,/read',
    },
    redis: {
      type: 'string',
      default: '/usr/bin/redis-server',
      env: 'BENCH_REDIS_SERVER',
      help: 'redis-server binary (started on a free loopback port, no persistence)',
    },
    'child-args': {
      type: 'string',
      default: '',
      env: 'BENCH_CHILD_ARGS',
      help: 'extra node flags for the server children, e.g. --child-args="--cpu-prof --cpu-prof-dir=/tmp/p"',
    },
    limit: {
      type: 'number',
      default: 1800,
      env: 'BENCH_LIMIT',
      help: 'hard time limit in seconds for the whole script (0 = none)',
    },
  },
  'usage: node tools/bench/http.mjs [flags]',
)

const variantNames = [...new Set(opts.variants.split(',').filter(Boolean))]
for (const name of variantNames) {
  if (!(name in VARIANTS)) throw new TypeError(`unknown variant ${name}`)
}
const routes = [...new Set(opts.routes.split(',').filter(Boolean))]
for (const route of routes) {
  if (!ROUTES.includes(route)) throw new TypeError(`unknown route ${route}`)
}
if (opts.connections < 1 || opts.rounds < 1 || opts.duration <= 0) {
  throw new RangeError('--connections and --rounds must be at least 1, --duration above 0')
}
installCleanup(opts.limit)

const serverScript = fileURLToPath(new URL('./servers/app.mjs', import.meta.url))
const childArgs = opts['child-args'].split(' ').filter(Boolean)

/** Starts one variant's server and gives it `connections` sessions; returns its handle. */
async function startVariant(name, redisUrl) {
  const port = await freePort()
  const dir = /-level($|-touch|-floor)/.test(name) ? ownDir(await tempDir(name)) : undefined
  const child = spawnChild(process.execPath, [...childArgs, serverScript, name, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: {
      ...process.env,
      ...(redisUrl === undefined ? {} : { BENCH_REDIS_URL: redisUrl }),
      ...(dir === undefined ? {} : { BENCH_DIR: dir }),
    },
  })
  await waitForLine(child, (line) => line.startsWith('listening '), 20_000, name)
  const url = `http://127.0.0.1:${port}`
  const cookies = []
  for (let i = 0; i < opts.connections; i++) cookies.push(await newSession(url, name))
  return { name, url, child, dir, cookies }
}

/** GET / without a cookie: the new session's cookies, as one Cookie header value. */
async function newSession(url, name) {
  const res = await fetch(`${url}/`, { signal: globalThis.AbortSignal.timeout(10_000) })
  const body = await res.text()
  const setCookies = res.headers.getSetCookie()
  if (res.status !== 200 || setCookies.length === 0) {
    throw new Error(`${name}: GET / gave ${res.status} with no session cookie: ${body}`)
  }
  return setCookies.map((c) => c.split(';')[0]).join('; ')
}

/**
 * CPU seconds (user + system, all threads: LevelDB's and libuv's too) a process has used, from
 * /proc on Linux; undefined elsewhere. Clock ticks are 1/100 s on Linux.
 */
function cpuSeconds(pid) {
  try {
    return cpuMicros(pid) / 1e6
  } catch {
    return undefined
  }
}

/** One autocannon run; every connection sends its own session's cookie. */
async function measure(variant, route, seconds) {
  let next = 0
  const cpu0 = cpuSeconds(variant.child.pid)
  const redis0 = redis === undefined ? undefined : cpuSeconds(redis.child.pid)
  const result = await autocannon({
    url: `${variant.url}${route}`,
    connections: opts.connections,
    duration: seconds,
    setupClient: (client) => {
      client.setHeaders({ cookie: variant.cookies[next++ % variant.cookies.length] })
    },
  })
  const bad = result.errors + result.timeouts + result.non2xx
  const perRequest = (before, pid) => {
    const after = pid === undefined ? undefined : cpuSeconds(pid)
    if (before === undefined || after === undefined || result.requests.total === 0) return NaN
    return ((after - before) * 1e6) / result.requests.total
  }
  return {
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    cpu: perRequest(cpu0, variant.child.pid),
    redisCpu: variant.name.includes('redis') ? perRequest(redis0, redis?.child.pid) : NaN,
    bad,
  }
}

const us = (n) => (Number.isNaN(n) ? '' : n.toFixed(0))

console.log(`http.mjs: ${environment()}`)
console.log(
  `${opts.connections} connections (one session each), ${opts.rounds} rounds of ` +
    `${opts.duration} s per variant and route, ${opts.warmup} s warm-up, alternating order`,
)

const variants = []
let redis
try {
  if (variantNames.some((n) => n.includes('redis'))) redis = await startRedis(opts.redis)
  for (const name of variantNames) variants.push(await startVariant(name, redis?.url))

  const runs = variants.flatMap((v) => routes.map((route) => ({ v, route })))
  if (opts.warmup > 0) for (const { v, route } of runs) await measure(v, route, opts.warmup)

  const results = new Map(runs.map(({ v, route }) => [`${v.name} ${route}`, []]))
  const rows = []
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? runs : [...runs].reverse()
    for (const { v, route } of order) {
      const r = await measure(v, route, opts.duration)
      results.get(`${v.name} ${route}`).push(r)
      rows.push([
        round + 1,
        v.name,
        route,
        fmt.int(r.rps),
        r.p99,
        us(r.cpu),
        us(r.redisCpu),
        r.bad > 0 ? `${r.bad} errors/non-2xx!` : '',
      ])
    }
  }
  console.log('\nper round')
  table(
    ['round', 'variant', 'route', 'req/s', 'p99 ms', 'server CPU µs/req', 'redis µs/req', ''],
    rows,
    [0, 3, 4, 5, 6],
  )

  // Sanity: the counter moved in the store (the cookie store keeps re-sending the same cookie).
  for (const v of variants) {
    const res = await fetch(`${v.url}/read`, {
      headers: { cookie: v.cookies[0] },
      signal: globalThis.AbortSignal.timeout(10_000),
    })
    console.log(`check ${v.name}: GET /read with session 0 -> ${await res.text()}`)
  }

  const ratio = (name, base, route) => {
    const a = results.get(`${name} ${route}`)
    const b = results.get(`${base} ${route}`)
    if (a === undefined || b === undefined) return undefined
    return median(a.map((r, i) => r.rps / b[i].rps))
  }
  const show = (n) => (n === undefined ? '-' : fmt.ratio(n))
  const summary = []
  for (const v of variants) {
    for (const route of routes) {
      const list = results.get(`${v.name} ${route}`)
      const base = v.name.startsWith('koa-')
        ? 'koa-map'
        : v.name.startsWith('hono-')
          ? 'hono-memory'
          : 'express-memory'
      summary.push([
        v.name,
        route,
        fmt.int(median(list.map((r) => r.rps))),
        fmt.int(Math.min(...list.map((r) => r.rps))),
        fmt.int(Math.max(...list.map((r) => r.rps))),
        median(list.map((r) => r.p99)),
        us(median(list.map((r) => r.cpu))),
        us(median(list.map((r) => r.redisCpu))),
        show(ratio(v.name, base, route)),
        v.name.startsWith('express-') ? show(ratio(v.name, 'express-connect-redis', route)) : '',
      ])
    }
  }
  console.log('\nsummary (ratios: median over rounds of the per-round ratio)')
  table(
    [
      'variant',
      'route',
      'median req/s',
      'min',
      'max',
      'p99 ms',
      'server CPU µs/req',
      'redis µs/req',
      'vs memory',
      'vs connect-redis',
    ],
    summary,
    [2, 3, 4, 5, 6, 7, 8, 9],
  )
  console.log(
    "  (vs memory: Express variants against MemoryStore, Koa variants against 'koa-map', " +
      "Hono variants against 'hono-memory')",
  )
  console.log(
    '  (server CPU: user+system time of the server child, all its threads, per request; ' +
      'redis: the same for redis-server)',
  )

  console.log('\ntargets')
  const check = (label, value, min) => {
    if (value === undefined) return
    console.log(`  ${label} >= ${min}x: ${fmt.ratio(value)} ${value >= min ? 'MET' : 'NOT MET'}`)
  }
  for (const route of routes) {
    check(
      `express-level vs MemoryStore, GET ${route}`,
      ratio('express-level', 'express-memory', route),
      0.95,
    )
    check(
      `express-level-redis vs connect-redis, GET ${route}`,
      ratio('express-level-redis', 'express-connect-redis', route),
      1.0,
    )
    check(
      `express-level-redis-cache vs connect-redis, GET ${route}`,
      ratio('express-level-redis-cache', 'express-connect-redis', route),
      1.0,
    )
    check(`koa-level vs koa-map, GET ${route}`, ratio('koa-level', 'koa-map', route), 0.9)
    check(
      `hono-level vs hono-memory, GET ${route}`,
      ratio('hono-level', 'hono-memory', route),
      0.85,
    )
  }
} finally {
  for (const v of variants) {
    await stopChild(v.child)
    if (v.dir !== undefined) releaseDir(v.dir)
  }
  await redis?.stop()
}
