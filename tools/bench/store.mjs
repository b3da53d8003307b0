// Store-level mixed workload: 80% get, 15% set, 5% touch with a fixed number of operations in
// flight over uniformly random keys, for @levelsession/core against raw classic-level in the
// same process, in alternating rounds. Run `node tools/bench/store.mjs --help` for the flags.
import { createHistogram, performance } from 'node:perf_hooks'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import {
  collectGarbage,
  environment,
  flags,
  fmt,
  inWaves,
  median,
  removeDir,
  sessionData,
  table,
  tempDir,
} from './lib.mjs'

const VARIANTS = {
  store: 'levelsession, classic-level, default cache',
  raw: 'raw classic-level, valueEncoding json',
  nocache: 'levelsession, classic-level, cacheSize: 0',
  memory: 'levelsession on memory-level (reference)',
}

const opts = flags(
  {
    sessions: {
      type: 'number',
      default: 100_000,
      env: 'BENCH_SESSIONS',
      help: 'sessions preloaded',
    },
    rounds: { type: 'number', default: 5, env: 'BENCH_ROUNDS', help: 'measured rounds' },
    duration: { type: 'number', default: 3, env: 'BENCH_DURATION', help: 'seconds per round' },
    ops: {
      type: 'number',
      default: 0,
      env: 'BENCH_OPS',
      help: 'operations per round instead of a duration (0 = use --duration)',
    },
    concurrency: { type: 'number', default: 64, env: 'BENCH_CONCURRENCY', help: 'ops in flight' },
    warmup: {
      type: 'number',
      default: 1,
      env: 'BENCH_WARMUP',
      help: 'warm-up seconds per variant',
    },
    compact: {
      type: 'boolean',
      default: true,
      env: 'BENCH_COMPACT',
      help: 'compact each LevelDB after preloading (--no-compact to skip)',
    },
    core: {
      type: 'string',
      default: '@levelsession/core',
      env: 'BENCH_CORE',
      help: 'module to benchmark: the package, or a path to another build (e.g. dist/esm/index.js)',
    },
    variants: {
      type: 'string',
      // Not `memory` by default: its 100,000 sessions live on the V8 heap and slow every garbage
      // collection in this process, which costs the JavaScript-heavy store variants far more
      // than raw classic-level (store 0.92x raw without it, 0.61x with it, on one quiet machine).
      default: 'store,raw,nocache',
      env: 'BENCH_VARIANTS',
      help: `comma-separated subset of ${Object.keys(VARIANTS).join(',')}`,
    },
  },
  'usage: node tools/bench/store.mjs [flags]',
)

const TTL = 86_400_000
const GET = 0.8
const SET = 0.95 // 0.8..0.95 set, the rest touch
const variantNames = [...new Set(opts.variants.split(',').filter(Boolean))]
for (const name of variantNames) {
  if (!(name in VARIANTS)) throw new TypeError(`unknown variant ${name}`)
}
if (opts.sessions < 1 || opts.concurrency < 1 || opts.rounds < 1) {
  throw new RangeError('--sessions, --concurrency and --rounds must be at least 1')
}

const coreUrl = existsSync(opts.core) ? pathToFileURL(resolve(opts.core)).href : opts.core
const { createSessionStore, generateSessionId } = await import(coreUrl)
const ids = Array.from({ length: opts.sessions }, () => generateSessionId())
const pool = Array.from({ length: 1024 }, (_, i) => sessionData(i, TTL))
const bytes = median(pool.map((d) => JSON.stringify(d).length))

/** A target: get/set/touch over one storage, with setup and teardown. */
async function makeTarget(name) {
  if (name === 'raw') {
    const dir = await tempDir('raw')
    const db = new ClassicLevel(dir, { keyEncoding: 'utf8', valueEncoding: 'json' })
    await db.open()
    return {
      name,
      load: (n) =>
        inWaves(Math.ceil(n / 1000), 1, (w) =>
          db.batch(
            ids.slice(w * 1000, (w + 1) * 1000).map((id, j) => ({
              type: 'put',
              key: id,
              value: pool[(w * 1000 + j) % pool.length],
            })),
          ),
        ),
      compact: () => compactAll(db),
      get: async (id) => (await db.get(id)) !== undefined,
      set: (id, data) => db.put(id, data),
      touch: (id, data) => db.put(id, data),
      close: async () => {
        await db.close()
        await removeDir(dir)
      },
    }
  }
  let dir
  let store
  if (name === 'memory') {
    store = createSessionStore({ db: new MemoryLevel(), cleanupInterval: 0 })
  } else {
    dir = await tempDir(name)
    const cache = name === 'nocache' ? { cacheSize: 0 } : {}
    store = createSessionStore({ path: dir, cleanupInterval: 0, ...cache })
  }
  await store.ready()
  return {
    name,
    load: (n) => inWaves(n, 1000, (i) => store.set(ids[i], pool[i % pool.length], { ttl: TTL })),
    compact: () => compactAll(store.backend.db),
    get: async (id) => (await store.get(id)) !== undefined,
    set: (id, data) => store.set(id, data, { ttl: TTL }),
    touch: (id) => store.touch(id, { ttl: TTL }),
    close: async () => {
      await store.close()
      if (dir !== undefined) await removeDir(dir)
    },
  }
}

/**
 * Compacts a whole classic-level database, so the LevelDB compactions the preload started do not
 * run (on the same two cores) during the measured rounds. memory-level has nothing to compact.
 */
async function compactAll(db) {
  if (typeof db.compactRange === 'function') await db.compactRange(' ', '\uffff')
}

/** Runs the mix on one target for `seconds` (or `ops` operations); returns counts and latency. */
async function run(target, { seconds, ops }) {
  const latency = createHistogram()
  let remaining = ops > 0 ? ops : Infinity
  let done = 0
  let misses = 0
  const started = performance.now()
  const deadline = ops > 0 ? Infinity : started + seconds * 1000
  const worker = async () => {
    while (remaining-- > 0) {
      const t0 = performance.now()
      if (t0 >= deadline) break
      const id = ids[Math.floor(Math.random() * ids.length)]
      const r = Math.random()
      if (r < GET) {
        if (!(await target.get(id))) misses++
      } else if (r < SET) {
        await target.set(id, pool[Math.floor(Math.random() * pool.length)])
      } else {
        await target.touch(id, pool[Math.floor(Math.random() * pool.length)])
      }
      latency.record(Math.max(1, Math.round((performance.now() - t0) * 1000)))
      done++
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker))
  const elapsed = (performance.now() - started) / 1000
  return {
    ops: done,
    opsPerSec: done / elapsed,
    misses,
    p50: latency.percentile(50) / 1000,
    p99: latency.percentile(99) / 1000,
  }
}

console.log(`store.mjs: ${environment()}, core ${opts.core}`)
console.log(
  `${fmt.int(opts.sessions)} sessions of ~${bytes} bytes JSON, 80% get / 15% set / 5% touch, ` +
    `${opts.concurrency} in flight, uniform keys, ${opts.rounds} rounds of ` +
    (opts.ops > 0 ? `${fmt.int(opts.ops)} ops` : `${opts.duration} s`) +
    (collectGarbage() ? ', gc between rounds' : ''),
)

const targets = []
try {
  for (const name of variantNames) {
    const target = await makeTarget(name)
    targets.push(target)
    const t0 = performance.now()
    await target.load(opts.sessions)
    const seconds = (performance.now() - t0) / 1000
    const c0 = performance.now()
    if (opts.compact) await target.compact()
    const compactSeconds = (performance.now() - c0) / 1000
    console.log(
      `preloaded ${name.padEnd(8)} ${fmt.int(opts.sessions / seconds)} sessions/s (${seconds.toFixed(1)} s)` +
        (opts.compact ? `, compacted in ${compactSeconds.toFixed(1)} s` : ''),
    )
  }
  if (opts.warmup > 0) {
    for (const target of targets) await run(target, { seconds: opts.warmup, ops: 0 })
  }

  // ABBA order: store, raw, ... then ..., raw, store, so neither side always runs first.
  const results = new Map(targets.map((t) => [t.name, []]))
  const rows = []
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      collectGarbage()
      const r = await run(target, { seconds: opts.duration, ops: opts.ops })
      results.get(target.name).push(r)
      rows.push([
        round + 1,
        target.name,
        fmt.int(r.opsPerSec),
        fmt.ms(r.p50),
        fmt.ms(r.p99),
        r.misses > 0 ? `${r.misses} gets missed!` : '',
      ])
    }
  }
  console.log('\nper round')
  table(['round', 'variant', 'ops/s', 'p50 ms', 'p99 ms', ''], rows, [0, 2, 3, 4])

  const raw = results.get('raw')
  const summary = targets.map(({ name }) => {
    const list = results.get(name)
    const ratios = raw === undefined ? [] : list.map((r, i) => r.opsPerSec / raw[i].opsPerSec)
    return [
      name,
      fmt.int(median(list.map((r) => r.opsPerSec))),
      fmt.int(Math.min(...list.map((r) => r.opsPerSec))),
      fmt.int(Math.max(...list.map((r) => r.opsPerSec))),
      fmt.ms(median(list.map((r) => r.p99))),
      ratios.length === 0 ? '-' : fmt.ratio(median(ratios)),
      ratios.length === 0
        ? '-'
        : `${fmt.ratio(Math.min(...ratios))}..${fmt.ratio(Math.max(...ratios))}`,
      VARIANTS[name],
    ]
  })
  console.log('\nsummary (ratio = ops/s divided by raw classic-level in the same round)')
  table(
    ['variant', 'median ops/s', 'min', 'max', 'p99 ms', 'median ratio', 'ratio range', ''],
    summary,
    [1, 2, 3, 4, 5],
  )
  if (raw !== undefined && results.has('store')) {
    const ratio = median(results.get('store').map((r, i) => r.opsPerSec / raw[i].opsPerSec))
    console.log(
      `\ntarget store >= 0.70x raw: ${fmt.ratio(ratio)} ${ratio >= 0.7 ? 'MET' : 'NOT MET'}`,
    )
  }
  console.log(`rss ${fmt.mb(process.memoryUsage().rss)} MB`)
} finally {
  for (const target of targets) await target.close()
}
