// A/B of two or more builds of core in one process: the store-level mixed workload (80% get,
// 15% set, 5% touch, 64 in flight) on classic-level, rounds in alternating order, reporting
// ops/s, process CPU and main-thread CPU per operation and each build's median ratio to the
// first. Build a variant with
//   npx tsc -p packages/core/tsconfig.lib.json --outDir /tmp/ab-new/dist/esm
//   cp packages/core/package.json /tmp/ab-new/
// and run `node --expose-gc tools/bench/ab.mjs --builds packages/core/dist/esm/index.js,/tmp/ab-new/dist/esm/index.js`.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  collectGarbage,
  environment,
  flags,
  fmt,
  mainThreadCpu,
  median,
  removeDir,
  sessionData,
  table,
  tempDir,
} from './lib.mjs'

const opts = flags(
  {
    builds: {
      type: 'string',
      default: '',
      env: 'BENCH_BUILDS',
      help: 'comma-separated paths to dist/esm/index.js of each build (the first is the baseline)',
    },
    sessions: {
      type: 'number',
      default: 20_000,
      env: 'BENCH_SESSIONS',
      help: 'sessions preloaded',
    },
    cache: {
      type: 'number',
      default: -1,
      env: 'BENCH_CACHE',
      help: 'cacheSize (-1: as many as --sessions)',
    },
    rounds: { type: 'number', default: 5, env: 'BENCH_ROUNDS', help: 'measured rounds' },
    duration: { type: 'number', default: 2, env: 'BENCH_DURATION', help: 'seconds per round' },
  },
  'usage: node --expose-gc tools/bench/ab.mjs --builds a/dist/esm/index.js,b/dist/esm/index.js [flags]',
)
const builds = opts.builds.split(',').filter(Boolean)
if (builds.length < 2) throw new TypeError('--builds needs at least two paths')

const CONCURRENCY = 64
const pool = Array.from({ length: 1024 }, (_, i) => sessionData(i))

const targets = []
for (const [i, path] of builds.entries()) {
  const core = await import(pathToFileURL(resolve(path)).href)
  const dir = await tempDir(`ab-${i}`)
  const cacheSize = opts.cache < 0 ? opts.sessions : opts.cache
  const store = core.createSessionStore({ path: dir, cleanupInterval: 0, cacheSize })
  await store.ready()
  const ids = Array.from({ length: opts.sessions }, () => core.generateSessionId())
  for (let j = 0; j < ids.length; j += 1000) {
    await Promise.all(
      ids.slice(j, j + 1000).map((id, k) => store.set(id, pool[(j + k) % pool.length])),
    )
  }
  await store.backend.db.compactRange(' ', '\uffff')
  targets.push({ name: `${i}: ${path}`, store, ids, dir })
}

async function run({ store, ids }) {
  let done = 0
  const cpu0 = process.cpuUsage()
  const main0 = mainThreadCpu()
  const started = performance.now()
  const end = started + opts.duration * 1000
  const worker = async () => {
    while (performance.now() < end) {
      const id = ids[Math.floor(Math.random() * ids.length)]
      const r = Math.random()
      if (r < 0.8) await store.get(id)
      else if (r < 0.95) await store.set(id, pool[Math.floor(Math.random() * pool.length)])
      else await store.touch(id)
      done++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  return {
    ops: done / seconds,
    cpu: (cpu.user + cpu.system) / done,
    main: (mainThreadCpu() - main0) / done,
  }
}

console.log(`ab.mjs: ${environment()}`)
try {
  for (const target of targets) await run(target) // warm-up
  const results = targets.map(() => [])
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      collectGarbage()
      results[targets.indexOf(target)].push(await run(target))
    }
  }
  const base = results[0]
  table(
    ['build', 'median ops/s', 'ratio', 'CPU µs/op', 'main-thread µs/op', 'main-thread ratio'],
    targets.map(({ name }, i) => [
      name,
      fmt.int(median(results[i].map((r) => r.ops))),
      fmt.ratio(median(results[i].map((r, k) => r.ops / base[k].ops))),
      median(results[i].map((r) => r.cpu)).toFixed(2),
      median(results[i].map((r) => r.main)).toFixed(2),
      fmt.ratio(median(results[i].map((r, k) => base[k].main / r.main))),
    ]),
    [1, 2, 3, 4, 5],
  )
} finally {
  for (const { store, dir } of targets) {
    await store.close()
    await removeDir(dir)
  }
}
