// express-session's Store API alone (get/set/touch with callbacks): 80% get, 15% set, 5% touch (--mix)
// with a fixed number of operations in flight over uniformly random keys, for MemoryStore,
// memorystore, connect-redis and @levelsession/express (classic-level and Redis backends), in
// alternating rounds in one process. Run `node tools/bench/express-store.mjs --help` for the flags.
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import session from 'express-session'
import { RedisStore } from 'connect-redis'
import { createSessionStore, generateSessionId } from '@levelsession/core'
import { LevelSessionStore } from '@levelsession/express'
import { redisBackend } from '@levelsession/redis'
import {
  collectGarbage,
  environment,
  flags,
  fmt,
  inWaves,
  mainThreadCpu,
  median,
  table,
  tempDir,
} from './lib.mjs'
import { installCleanup, ownDir, releaseDir } from './procs.mjs'
import { floorStore } from './servers/floor-store.mjs'
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

const require = createRequire(import.meta.url)
const MemoryStoreFactory = require('memorystore')

const VARIANTS = {
  memory: "express-session's MemoryStore",
  memorystore: 'memorystore 1.6 (LRU, JSON strings)',
  'connect-redis': 'connect-redis 9 + node-redis 5, loopback redis-server',
  level: '@levelsession/express, classic-level, default options',
  'level-redis': '@levelsession/express on @levelsession/redis, same redis-server',
  'level-redis-cache': 'level-redis with readCache: true (tracked read cache)',
  // Not run by default: shows what the default cacheSize costs when sessions outnumber it.
  'level-cache': '@levelsession/express, classic-level, cacheSize = --sessions',
  // Not run by default: the least a write-through classic-level store costs (servers/floor-store.mjs).
  floor: 'a minimal write-through classic-level store (a floor, not a store to use)',
  // Not run by default: `level` from another build (--alt), for A/B in one process.
  alt: '@levelsession/express from --alt, classic-level, default options',
}
const DEFAULT_VARIANTS = [
  'memory',
  'memorystore',
  'connect-redis',
  'level',
  'level-redis',
  'level-redis-cache',
]

const opts = flags(
  {
    ...WORKLOAD_FLAGS,
    rounds: { type: 'number', default: 5, env: 'BENCH_ROUNDS', help: 'measured rounds' },
    duration: { type: 'number', default: 2, env: 'BENCH_DURATION', help: 'seconds per round' },
    warmup: {
      type: 'number',
      default: 1,
      env: 'BENCH_WARMUP',
      help: 'warm-up seconds per variant',
    },
    variants: {
      type: 'string',
      default: DEFAULT_VARIANTS.join(','),
      env: 'BENCH_VARIANTS',
      help: `comma-separated subset of ${Object.keys(VARIANTS).join(',')}`,
    },
    mix: {
      type: 'string',
      default: '80,15,5',
      env: 'BENCH_MIX',
      help: 'percentages of get,set,touch (e.g. 0,100,0 for sets alone)',
    },
    alt: {
      type: 'string',
      default: '',
      env: 'BENCH_ALT',
      help: 'dist/esm/index.js of another @levelsession/express build, run as variant alt (an A/B in one process: a build copied under node_modules/, with its own core in a node_modules/ beside it)',
    },
    limit: {
      type: 'number',
      default: 600,
      env: 'BENCH_LIMIT',
      help: 'hard time limit in seconds for the whole script (0 = none)',
    },
  },
  'usage: node tools/bench/express-store.mjs [flags]',
)

const MAX_AGE = 86_400_000
const mix = parseMix(opts.mix)
const variantNames = [...new Set(opts.variants.split(',').filter(Boolean))]
for (const name of variantNames) {
  if (!(name in VARIANTS)) throw new TypeError(`unknown variant ${name}`)
}
if (variantNames.includes('alt') && opts.alt === '') {
  throw new TypeError('variant alt needs --alt (the dist/esm/index.js of an express build)')
}
if (opts.sessions < 1 || opts.concurrency < 1 || opts.rounds < 1) {
  throw new RangeError('--sessions, --concurrency and --rounds must be at least 1')
}
installCleanup(opts.limit)

const ids = Array.from({ length: opts.sessions }, () => generateSessionId())

const pool = expressPool(MAX_AGE)
const bytes = median(pool.map((d) => JSON.stringify(d).length))
checkShape(opts.shape)

const redis = redisServer(opts.redis)
const redisClient = () => redis.client()

async function makeStore(name) {
  switch (name) {
    case 'memory':
      return { store: new session.MemoryStore(), close: async () => {} }
    case 'memorystore': {
      const MemoryStore = MemoryStoreFactory(session)
      // No checkPeriod: no pruning timer, as with the other in-memory store.
      const store = new MemoryStore()
      return { store, close: async () => store.stopInterval() }
    }
    case 'connect-redis': {
      const client = await redisClient()
      return { store: new RedisStore({ client, prefix: 'cr:' }), close: async () => {} }
    }
    case 'level':
    case 'level-cache':
    case 'alt': {
      const cache = name === 'level-cache' ? { cacheSize: opts.sessions } : {}
      const Store =
        name === 'alt'
          ? (await import(pathToFileURL(resolve(opts.alt)).href)).LevelSessionStore
          : LevelSessionStore
      return levelStore(Store, cache, 'express-store')
    }
    case 'floor': {
      const dir = ownDir(await tempDir('express-floor'))
      const floor = await floorStore(dir)
      return {
        store: floor.store,
        close: async () => {
          await floor.close()
          releaseDir(dir)
        },
      }
    }
    case 'level-redis':
    case 'level-redis-cache': {
      const client = await redisClient()
      const readCache = name === 'level-redis-cache'
      const core = createSessionStore({
        backend: redisBackend({ client, prefix: readCache ? 'lsc:' : 'ls:', readCache }),
        cleanupInterval: 0,
      })
      const store = new LevelSessionStore({ store: core })
      await store.ready()
      return {
        store,
        close: async () => {
          await store.close()
          await core.close()
        },
      }
    }
    default:
      throw new TypeError(`unknown variant ${name}`)
  }
}

/** Runs the mix on one store for `seconds`; returns ops/s, misses and CPU µs per operation. */
async function run(store, sessions, seconds) {
  const cpu = process.cpuUsage()
  const redisBefore = redis.cpu()
  const mainBefore = mainThreadCpu()
  const {
    done,
    misses,
    seconds: took,
  } = await runMix({
    store,
    sessions,
    ids,
    mix,
    seconds,
    concurrency: opts.concurrency,
  })
  const used = process.cpuUsage(cpu)
  return {
    opsPerSec: done / took,
    misses,
    cpuPerOp: (used.user + used.system) / done,
    redisPerOp: (redis.cpu() - redisBefore) / done,
    mainPerOp: (mainThreadCpu() - mainBefore) / done,
  }
}

console.log(`express-store.mjs: ${environment()}`)
console.log(
  `${fmt.int(opts.sessions)} sessions of ~${bytes} bytes JSON, ${mix[0]}% get / ${mix[1]}% set / ${mix[2]}% touch ` +
    `through express-session's callback API, ${opts.concurrency} in flight, uniform keys, ` +
    `${opts.rounds} rounds of ${opts.duration} s, alternating order, ` +
    (opts.shape === 'session'
      ? 'set/touch given req.session (createSession)'
      : 'set/touch given plain objects') +
    (collectGarbage() ? ', gc between rounds' : ''),
)

const targets = []
try {
  for (const name of variantNames) {
    const made = await makeStore(name)
    const target = { name, ...made, sessions: sessionsFor(made.store, opts.shape, pool, ids) }
    targets.push(target)
    const t0 = performance.now()
    await inWaves(ids.length, 1000, (i) =>
      callStore(target.store, 'set', ids[i], pool[i % pool.length]),
    )
    const seconds = (performance.now() - t0) / 1000
    await target.compact?.()
    console.log(`preloaded ${name.padEnd(13)} ${fmt.int(ids.length / seconds)} sets/s`)
  }
  if (opts.warmup > 0) for (const t of targets) await run(t.store, t.sessions, opts.warmup)

  const results = new Map(targets.map((t) => [t.name, []]))
  const rows = []
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      collectGarbage()
      const r = await run(target.store, target.sessions, opts.duration)
      results.get(target.name).push(r)
      rows.push([
        round + 1,
        target.name,
        fmt.int(r.opsPerSec),
        r.cpuPerOp.toFixed(2),
        r.mainPerOp.toFixed(2),
        target.name.includes('redis') ? r.redisPerOp.toFixed(2) : '',
        r.misses > 0 ? `${r.misses} gets missed!` : '',
      ])
    }
  }
  console.log(
    '\nper round (CPU: this process, all threads; main: its main thread; redis: redis-server)',
  )
  table(
    ['round', 'variant', 'ops/s', 'CPU µs/op', 'main µs/op', 'redis µs/op', ''],
    rows,
    [0, 2, 3, 4, 5],
  )

  /** Median over rounds of (variant / base) in the same round. */
  const ratioTo = (name, base) => {
    const a = results.get(name)
    const b = results.get(base)
    if (a === undefined || b === undefined) return undefined
    return median(a.map((r, i) => r.opsPerSec / b[i].opsPerSec))
  }
  const show = (n) => (n === undefined ? '-' : fmt.ratio(n))
  console.log('\nsummary (ratios: median over rounds of the per-round ratio)')
  table(
    ['variant', 'median ops/s', 'min', 'max', 'vs MemoryStore', 'vs connect-redis', ''],
    targets.map(({ name }) => {
      const list = results.get(name).map((r) => r.opsPerSec)
      return [
        name,
        fmt.int(median(list)),
        fmt.int(Math.min(...list)),
        fmt.int(Math.max(...list)),
        show(ratioTo(name, 'memory')),
        show(ratioTo(name, 'connect-redis')),
        VARIANTS[name],
      ]
    }),
    [1, 2, 3, 4, 5],
  )
  const alt = ratioTo('alt', 'level')
  if (alt !== undefined) {
    const main = (name) => median(results.get(name).map((r) => r.mainPerOp))
    console.log(
      `\nalt vs level: ${fmt.ratio(alt)} ops/s (median per-round ratio); main µs/op ${main('alt').toFixed(2)} vs ${main('level').toFixed(2)}`,
    )
  }
  // The targets are for the default mix only.
  if (opts.mix === '80,15,5') console.log('\ntargets')
  const check = (label, value, min) => {
    if (opts.mix !== '80,15,5') return
    if (value === undefined) return
    console.log(`  ${label} >= ${min}x: ${fmt.ratio(value)} ${value >= min ? 'MET' : 'NOT MET'}`)
  }
  check('level vs MemoryStore', ratioTo('level', 'memory'), 0.75)
  check('level vs connect-redis', ratioTo('level', 'connect-redis'), 1.2)
  check('level-redis vs connect-redis', ratioTo('level-redis', 'connect-redis'), 1.0)
  check('level-redis-cache vs connect-redis', ratioTo('level-redis-cache', 'connect-redis'), 1.0)
} finally {
  for (const target of targets) await target.close()
  await redis.close()
}
