// What each kind of express-session Store call costs: gets, sets and touches alone, then mixed, on
// each variant, as main-thread CPU, garbage collection and redis-server CPU per operation, with
// the Redis commands each operation sends (INFO commandstats). The store-API benchmark
// (express-store.mjs) gives one number per variant; this one says where it comes from. Run
// `node tools/bench/ops.mjs --help` for the flags.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PerformanceObserver } from 'node:perf_hooks'
import session from 'express-session'
import { RedisStore } from 'connect-redis'
import { createSessionStore, generateSessionId } from '@levelsession/core'
import { LevelSessionStore } from '@levelsession/express'
import { redisBackend } from '@levelsession/redis'
import { collectGarbage, environment, flags, fmt, inWaves, mainThreadCpu, table } from './lib.mjs'
import { installCleanup } from './procs.mjs'
import {
  callStore,
  checkShape,
  expressPool,
  levelStore,
  parseMix,
  redisServer,
  runMix,
  sessionsFor,
  WORKLOAD_FLAGS,
} from './workload.mjs'

const opts = flags(
  {
    variants: {
      type: 'string',
      default: 'level-redis,connect-redis',
      env: 'BENCH_VARIANTS',
      help: 'comma-separated: memory, connect-redis, level, level-redis, level-redis@<build> (node_modules/.ab/redis-<build>/dist/esm/index.js)',
    },
    phases: {
      type: 'string',
      default: '100,0,0 0,100,0 0,0,100 80,15,5',
      env: 'BENCH_PHASES',
      help: 'space-separated get,set,touch percentages, one phase each',
    },
    passes: { type: 'number', default: 2, env: 'BENCH_PASSES', help: 'passes over the phases' },
    duration: { type: 'number', default: 3, env: 'BENCH_DURATION', help: 'seconds per phase' },
    ...WORKLOAD_FLAGS,
    warmup: {
      type: 'string',
      default: '80,15,5',
      env: 'BENCH_WARMUP',
      help: 'mix of the 1 s warm-up',
    },
    'cpu-prof': {
      type: 'string',
      default: '',
      env: 'BENCH_CPU_PROF',
      help: 'write a CPU profile of the measured phases (not the preload) to this file',
    },
    limit: { type: 'number', default: 900, env: 'BENCH_LIMIT', help: 'hard time limit in seconds' },
  },
  'usage: node tools/bench/ops.mjs [flags]',
)
installCleanup(opts.limit)

const MAX_AGE = 86_400_000
const phases = opts.phases.split(/\s+/).filter(Boolean)
for (const phase of [...phases, opts.warmup]) parseMix(phase)
checkShape(opts.shape)

const ids = Array.from({ length: opts.sessions }, () => generateSessionId())
const pool = expressPool(MAX_AGE)

const redis = redisServer(opts.redis)
const client = () => redis.client()

/** One variant's store, and how to close it. */
async function makeStore(variant) {
  const [name, build] = variant.split('@')
  if (name === 'memory') return { store: new session.MemoryStore(), close: async () => {} }
  if (name === 'connect-redis') {
    return {
      store: new RedisStore({ client: await client(), prefix: 'cr:' }),
      close: async () => {},
    }
  }
  // Compacted after the preload, as in express-store.mjs: the phases start on a clean database.
  if (name === 'level') return levelStore(LevelSessionStore, {}, 'ops')
  if (name === 'level-redis') {
    const backendOf =
      build === undefined
        ? redisBackend
        : (
            await import(
              pathToFileURL(resolve(`node_modules/.ab/redis-${build}/dist/esm/index.js`)).href
            )
          ).redisBackend
    const core = createSessionStore({
      backend: backendOf({ client: await client(), prefix: `ls:${variant}:` }),
      cleanupInterval: 0,
    })
    const store = new LevelSessionStore({ store: core })
    await store.ready()
    return { store, close: () => core.close() }
  }
  throw new TypeError(`unknown variant ${variant}`)
}

let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

/** Calls and µs per command so far, from INFO commandstats. */
async function commandStats(admin) {
  if (admin === undefined) return new Map()
  const text = await admin.sendCommand(['INFO', 'commandstats'])
  const stats = new Map()
  for (const m of text.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
    if (m[1] !== 'info') stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) })
  }
  return stats
}

/** Runs `mix` on `target` for `seconds`; returns what it did and cost. */
async function run(target, mix, seconds, admin) {
  const { store, sessions } = target
  const before = {
    main: mainThreadCpu(),
    redis: redis.cpu(),
    gc: gcMs,
    stats: await commandStats(admin),
  }
  const { done, seconds: took } = await runMix({
    store,
    sessions,
    ids,
    mix: parseMix(mix),
    seconds,
    concurrency: opts.concurrency,
  })
  const stats = await commandStats(admin)
  const commands = [...stats]
    .map(([name, { calls, usec }]) => {
      const was = before.stats.get(name) ?? { calls: 0, usec: 0 }
      return { name, calls: (calls - was.calls) / done, usec: (usec - was.usec) / done }
    })
    .filter((c) => c.calls > 0)
    .sort((a, b) => b.usec - a.usec)
  return {
    opsPerSec: done / took,
    main: (mainThreadCpu() - before.main) / done,
    gc: ((gcMs - before.gc) * 1000) / done,
    redis: (redis.cpu() - before.redis) / done,
    commands,
  }
}

console.log(`ops.mjs: ${environment()}`)
console.log(
  `${fmt.int(opts.sessions)} sessions, ${opts.concurrency} calls in flight, phases ${phases.join(' | ')} ` +
    `(get,set,touch %), ${opts.duration} s each, ${opts.passes} passes, set/touch given ` +
    (opts.shape === 'session' ? 'req.session (createSession)' : 'plain objects') +
    (collectGarbage() ? ', gc between phases' : ''),
)

const targets = []
let profiler
try {
  for (const variant of opts.variants.split(',').filter(Boolean)) {
    const made = await makeStore(variant)
    const target = {
      variant,
      ...made,
      sessions: sessionsFor(made.store, opts.shape, pool, ids),
    }
    targets.push(target)
    await inWaves(ids.length, 1000, (i) =>
      callStore(target.store, 'set', ids[i], pool[i % pool.length]),
    )
    await target.compact?.()
  }
  const admin = redis.server === undefined ? undefined : await client()
  for (const target of targets) await run(target, opts.warmup, 1, admin)
  if (opts['cpu-prof'] !== '') {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  }
  const rows = []
  const results = new Map()
  for (let pass = 0; pass < opts.passes; pass++) {
    for (const mix of phases) {
      const order = (pass + phases.indexOf(mix)) % 2 === 0 ? targets : [...targets].reverse()
      for (const target of order) {
        collectGarbage()
        const r = await run(target, mix, opts.duration, admin)
        const key = `${mix} ${target.variant}`
        results.set(key, [...(results.get(key) ?? []), r])
        const isRedis = target.variant.includes('redis')
        rows.push([
          mix,
          target.variant,
          fmt.int(r.opsPerSec),
          r.main.toFixed(2),
          r.gc.toFixed(2),
          isRedis ? r.redis.toFixed(2) : '',
          // Node's main thread and redis-server take turns (see the README): about 1 / (sum).
          isRedis ? fmt.int(1e6 / (r.main + r.redis)) : '',
          isRedis
            ? r.commands
                .map((c) => `${c.name} ${c.calls.toFixed(2)}/${c.usec.toFixed(2)}`)
                .join(' ')
            : '',
        ])
      }
    }
  }
  if (profiler !== undefined) {
    const { profile } = await profiler.post('Profiler.stop')
    writeFileSync(opts['cpu-prof'], JSON.stringify(profile))
    console.log(`CPU profile of the phases: ${opts['cpu-prof']}`)
  }
  console.log(
    '\nper phase (µs per operation: main thread CPU, its GC pauses, redis-server CPU; lockstep: 1e6 / (main + redis);' +
      ' commands: calls per operation / redis-server µs per operation)',
  )
  table(
    ['mix', 'variant', 'ops/s', 'main', 'gc', 'redis', 'lockstep', 'commands'],
    rows,
    [2, 3, 4, 5, 6],
  )
} finally {
  for (const target of targets) await target.close()
  await redis.close()
}
