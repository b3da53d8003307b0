// Prune benchmark: time of store.prune() and the event-loop delay it causes, with the same
// number of expired sessions among a large and a small total, and the process RSS with the large
// total stored. Run `node --expose-gc tools/bench/prune.mjs --help` for the flags.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createSessionStore, generateSessionId } from '@levelsession/core'
import {
  collectGarbage,
  environment,
  flags,
  fmt,
  inWaves,
  removeDir,
  sessionData,
  table,
  tempDir,
} from './lib.mjs'

const opts = flags(
  {
    total: { type: 'number', default: 1_000_000, env: 'BENCH_TOTAL', help: 'sessions, large run' },
    expired: {
      type: 'number',
      default: 100_000,
      env: 'BENCH_EXPIRED',
      help: 'expired sessions among them (both runs)',
    },
    small: { type: 'number', default: 200_000, env: 'BENCH_SMALL', help: 'sessions, small run' },
    wave: {
      type: 'number',
      default: 1000,
      env: 'BENCH_WAVE',
      help: 'concurrent set calls on load',
    },
    settle: {
      type: 'number',
      default: 3,
      env: 'BENCH_SETTLE',
      help: 'seconds to wait after loading, before RSS and prune',
    },
    serve: {
      type: 'number',
      default: 10,
      env: 'BENCH_SERVE',
      help: 'seconds of mixed workload in a fresh process on the large database, for its RSS (0 = skip)',
    },
    warmup: {
      type: 'number',
      default: 20_000,
      env: 'BENCH_WARMUP',
      help: 'sessions in an unreported warm-up run (0 = none)',
    },
  },
  'usage: node --expose-gc tools/bench/prune.mjs [flags]',
)
if (opts.expired > opts.small || opts.small > opts.total) {
  throw new RangeError('need --expired <= --small <= --total')
}

const LIVE_TTL = 86_400_000
const SHORT_TTL = 60_000
const pool = Array.from({ length: 1024 }, (_, i) => sessionData(i))

/** Resident memory split into anonymous and file-backed (mapped table files) parts. */
function rssSplit() {
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { anon: kb('RssAnon') * 1024, file: kb('RssFile') * 1024 }
}

/** RSS of a fresh process serving the database (see serve-rss.mjs). */
async function serveRss(dir) {
  const script = new URL('./serve-rss.mjs', import.meta.url).pathname
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', script, dir, String(opts.serve)],
    { timeout: (opts.serve + 120) * 1000 },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1))
}

/**
 * Stores `total` sessions of which `expired` (spread evenly) get a short ttl, advances the
 * store's clock past that ttl, and prunes under an event-loop delay monitor.
 */
async function scenario(label, total, expired, { measureRss = false } = {}) {
  const dir = await tempDir(`prune-${label}`)
  let clock = Date.now()
  const store = createSessionStore({ path: dir, cleanupInterval: 0, now: () => clock })
  try {
    await store.ready()
    const every = total / expired
    let nextExpired = 0
    const loadStart = performance.now()
    await inWaves(Math.ceil(total / opts.wave), 1, async (w) => {
      const end = Math.min(total, (w + 1) * opts.wave)
      const wave = []
      for (let i = w * opts.wave; i < end; i++) {
        const short = i >= nextExpired && expired > 0
        if (short) nextExpired += every
        const ttl = short ? SHORT_TTL : LIVE_TTL
        wave.push(store.set(generateSessionId(), pool[i % pool.length], { ttl }))
      }
      await Promise.all(wave)
      clock += 1 // spread expiry times a little, as real traffic does
    })
    const loadSeconds = (performance.now() - loadStart) / 1000

    await sleep(opts.settle * 1000)
    const gc = collectGarbage()
    await sleep(200)
    const mem = { ...process.memoryUsage(), ...rssSplit() }

    clock += SHORT_TTL + 60_000
    const delay = monitorEventLoopDelay({ resolution: 1 })
    delay.enable()
    const started = performance.now()
    const result = await store.prune()
    const wall = performance.now() - started
    delay.disable()

    const live = await store.count()
    const closeStart = performance.now()
    await store.close()
    const closeMs = performance.now() - closeStart
    const served = measureRss && opts.serve > 0 ? await serveRss(dir) : undefined
    return {
      served,
      label,
      total,
      expired,
      loadRate: total / loadSeconds,
      loadSeconds,
      result,
      wall,
      delayMax: delay.max / 1e6,
      delayP99: delay.percentile(99) / 1e6,
      delayMean: delay.mean / 1e6,
      live,
      closeMs,
      mem: measureRss ? mem : undefined,
      gc,
    }
  } finally {
    await store.close()
    await removeDir(dir)
  }
}

console.log(`prune.mjs: ${environment()}`)
console.log(
  `${fmt.int(opts.expired)} expired among ${fmt.int(opts.total)} and among ${fmt.int(opts.small)}, ` +
    `~${JSON.stringify(pool[0]).length} bytes JSON each, loaded ${opts.wave} set calls at a time`,
)
if (typeof globalThis.gc !== 'function') {
  console.log('(run with node --expose-gc for a garbage-collected RSS figure)')
}

if (opts.warmup > 0) {
  const w = Math.min(opts.warmup, opts.total)
  await scenario('warmup', w, Math.max(1, Math.floor(w / 10)))
}
const runs = []
for (const [label, total] of [
  ['large', opts.total],
  ['small', opts.small],
]) {
  const r = await scenario(label, total, opts.expired, { measureRss: label === 'large' })
  runs.push(r)
  console.log(
    `${label}: loaded ${fmt.int(total)} in ${r.loadSeconds.toFixed(1)} s ` +
      `(${fmt.int(r.loadRate)} sets/s); pruned ${fmt.int(r.result.deleted)} of ` +
      `${fmt.int(r.result.scanned)} scanned in ${fmt.ms(r.result.durationMs)} ms`,
  )
  if (r.mem !== undefined) {
    const m = r.mem
    console.log(
      `  memory with ${fmt.int(total)} sessions stored${r.gc ? ' (after gc)' : ''}: ` +
        `rss ${fmt.mb(m.rss)} MB, heapUsed ${fmt.mb(m.heapUsed)} MB, ` +
        `external ${fmt.mb(m.external)} MB, arrayBuffers ${fmt.mb(m.arrayBuffers)} MB; ` +
        `anonymous ${fmt.mb(m.anon)} MB, file-backed ${fmt.mb(m.file)} MB`,
    )
  }
  if (r.served !== undefined) {
    const v = r.served
    console.log(
      `  a fresh process serving them (${opts.serve} s of the mixed workload, ` +
        `${fmt.int(v.ops)} ops): rss ${v.rssMB.toFixed(1)} MB = anonymous ` +
        `${v.anonMB.toFixed(1)} MB + file-backed ${v.fileMB.toFixed(1)} MB`,
    )
  }
}

console.log('\nprune')
table(
  [
    'run',
    'total',
    'expired',
    'deleted',
    'prune ms',
    'loop max ms',
    'p99 ms',
    'mean ms',
    'live after',
    'close ms',
  ],
  runs.map((r) => [
    r.label,
    fmt.int(r.total),
    fmt.int(r.expired),
    fmt.int(r.result.deleted),
    fmt.ms(r.result.durationMs),
    fmt.ms(r.delayMax),
    fmt.ms(r.delayP99),
    fmt.ms(r.delayMean),
    fmt.int(r.live),
    fmt.ms(r.closeMs),
  ]),
  [1, 2, 3, 4, 5, 6, 7, 8, 9],
)

const [large, small] = runs
const ratio = large.result.durationMs / small.result.durationMs
const worstDelay = Math.max(large.delayMax, small.delayMax)
// The target is about an app holding the sessions: the fresh serving process when measured,
// else the loading process.
const rss = large.served?.rssMB ?? large.mem.rss / 1048576
const rssLabel = large.served === undefined ? 'loading process' : 'serving process'
const problems = runs.filter(
  (r) => r.result.deleted !== r.expired || r.live !== r.total - r.expired,
)
console.log('\ntargets')
table(
  ['target', 'measured', ''],
  [
    [
      'event-loop delay max < 10 ms',
      `${fmt.ms(worstDelay)} ms`,
      worstDelay < 10 ? 'MET' : 'NOT MET',
    ],
    ['prune large / small <= 1.5x', fmt.ratio(ratio), ratio <= 1.5 ? 'MET' : 'NOT MET'],
    [
      `rss with ${fmt.int(opts.total)} stored < 150 MB (${rssLabel})`,
      `${rss.toFixed(1)} MB`,
      rss < 150 ? 'MET' : 'NOT MET',
    ],
  ],
)
if (problems.length > 0) {
  console.log(`\nWARNING: unexpected counts in ${problems.map((r) => r.label).join(', ')}`)
  process.exitCode = 1
}
