// Server CPU per request at a fixed request rate (autocannon's overallRate), not at saturation:
// each server's own cost, without the scheduling of two saturated cores deciding it. Runs the
// apps of servers/app.mjs in child processes, one redis-server for the Redis variants, and
// alternates them round by round. `name@build` runs variant `name` with BENCH_REDIS_MODULE set to
// node_modules/.ab/redis-<build>/dist/esm/index.js: another build of @levelsession/redis, for an
// A/B of two builds in one run. Run `node tools/bench/rate.mjs --help` for the flags.
import { resolve } from 'node:path'
import autocannon from 'autocannon'
import { cpuMicros, flags, median, table } from './lib.mjs'
import {
  freePort,
  installCleanup,
  spawnChild,
  startRedis,
  stopChild,
  waitForLine,
} from './procs.mjs'

const opts = flags(
  {
    variants: {
      type: 'string',
      default: 'express-connect-redis,express-level-redis',
      env: 'BENCH_VARIANTS',
      help: 'comma-separated variants of servers/app.mjs, each optionally name@build',
    },
    route: { type: 'string', default: '/', env: 'BENCH_ROUTE', help: 'route: / or /read' },
    rate: { type: 'number', default: 1500, env: 'BENCH_RATE', help: 'requests per second' },
    rounds: { type: 'number', default: 4, env: 'BENCH_ROUNDS', help: 'measured rounds' },
    duration: { type: 'number', default: 5, env: 'BENCH_DURATION', help: 'seconds per round' },
    limit: {
      type: 'number',
      default: 900,
      env: 'BENCH_LIMIT',
      help: 'hard time limit in seconds for the whole script (0 = none)',
    },
  },
  'usage: node tools/bench/rate.mjs [flags]',
)
installCleanup(opts.limit)

const CONNECTIONS = 50
const app = resolve(import.meta.dirname, 'servers/app.mjs')
const variants = opts.variants.split(',').filter(Boolean)
const redis = await startRedis()

const servers = []
for (const variant of variants) {
  const [name, build] = variant.split('@')
  const port = await freePort()
  const env = { ...process.env, BENCH_REDIS_URL: redis.url }
  if (build !== undefined) {
    env.BENCH_REDIS_MODULE = resolve(`node_modules/.ab/redis-${build}/dist/esm/index.js`)
  }
  const child = spawnChild(process.execPath, [app, name, String(port)], { env })
  await waitForLine(child, (line) => line.includes('listening'), 10_000, variant)
  // One session per connection, as http.mjs does.
  const cookies = []
  for (let i = 0; i < CONNECTIONS; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/`)
    cookies.push(response.headers.get('set-cookie').split(';')[0])
  }
  servers.push({ variant, port, child, cookies })
}

function load(server, seconds) {
  let next = 0
  return new Promise((done, fail) => {
    autocannon(
      {
        url: `http://127.0.0.1:${server.port}${opts.route}`,
        connections: CONNECTIONS,
        overallRate: opts.rate,
        duration: seconds,
        setupClient: (client) =>
          client.setHeaders({ cookie: server.cookies[next++ % CONNECTIONS] }),
      },
      (error, result) => (error ? fail(error) : done(result)),
    )
  })
}

console.log(
  `rate.mjs: ${opts.route} at ${opts.rate} requests/s, ${CONNECTIONS} connections, ` +
    `${opts.rounds} rounds of ${opts.duration} s, alternating order`,
)
for (const server of servers) await load(server, 2) // warm-up
const perRequest = new Map(variants.map((v) => [v, []]))
const rows = []
for (let round = 0; round < opts.rounds; round++) {
  const order = round % 2 === 0 ? servers : [...servers].reverse()
  for (const server of order) {
    const before = cpuMicros(server.child.pid)
    const redisBefore = cpuMicros(redis.child.pid)
    const result = await load(server, opts.duration)
    const requests = result.requests.total
    const us = (cpuMicros(server.child.pid) - before) / requests
    perRequest.get(server.variant).push(us)
    rows.push([
      round + 1,
      server.variant,
      requests,
      us.toFixed(0),
      ((cpuMicros(redis.child.pid) - redisBefore) / requests).toFixed(1),
      result.errors + result.non2xx > 0 ? `${result.errors + result.non2xx} failed!` : '',
    ])
  }
}
table(['round', 'variant', 'requests', 'server µs/req', 'redis µs/req', ''], rows, [0, 2, 3, 4])
console.log()
const base = variants[0]
table(
  ['variant', 'median server µs/req', `median ratio to ${base}`],
  variants.map((v) => {
    const ratios = perRequest.get(v).map((us, i) => us / perRequest.get(base)[i])
    return [v, median(perRequest.get(v)).toFixed(0), `${median(ratios).toFixed(2)}x`]
  }),
  [1, 2],
)
for (const server of servers) await stopChild(server.child)
process.exit(0)
