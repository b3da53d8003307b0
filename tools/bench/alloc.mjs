// Bytes allocated per operation, garbage included, by allocation site: V8's sampling heap
// profiler with objects that GC collected kept. Usage:
//   node tools/bench/alloc.mjs [level|memory] [set|get]
// (64 operations in flight on 20,000 sessions shaped as express-session passes them; a second of
// warm-up, then two seconds sampled). The harness's own promises count in every variant.
import { Session } from 'node:inspector/promises'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import session from 'express-session'
import { generateSessionId } from '@levelsession/core'
import { LevelSessionStore } from '@levelsession/express'
import { sessionData } from './lib.mjs'

const variant = process.argv[2] ?? 'level'
const mix = process.argv[3] ?? 'set'
const store =
  variant === 'memory'
    ? new session.MemoryStore()
    : new LevelSessionStore({ path: mkdtempSync(join(tmpdir(), 'alloc-')), cleanupInterval: 0 })
if (store.ready) await store.ready()
const ids = Array.from({ length: 20000 }, () => generateSessionId())
const pool = Array.from({ length: 1024 }, (_, i) => {
  const d = sessionData(i)
  d.cookie = { ...d.cookie, expires: new Date(Date.now() + 86400000) }
  return d
})
const call = (m, ...a) => new Promise((res, rej) => store[m](...a, (e, r) => (e ? rej(e) : res(r))))
for (let i = 0; i < ids.length; i += 500)
  await Promise.all(ids.slice(i, i + 500).map((id, k) => call('set', id, pool[(i + k) % 1024])))
let done = 0
async function run(ms) {
  const end = performance.now() + ms
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        const id = ids[Math.floor(Math.random() * ids.length)]
        if (mix === 'set') await call('set', id, pool[Math.floor(Math.random() * 1024)])
        else await call('get', id)
        done++
      }
    }),
  )
}
await run(1000)
const s = new Session()
s.connect()
await s.post('HeapProfiler.startSampling', {
  samplingInterval: 512,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
})
done = 0
await run(2000)
const { profile } = await s.post('HeapProfiler.stopSampling')
const bySite = new Map()
let total = 0
const walk = (n, stack) => {
  const f = n.callFrame
  const name = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`
  const self = n.selfSize
  total += self
  if (self) bySite.set(name, (bySite.get(name) ?? 0) + self)
  for (const c of n.children) walk(c, [...stack, name])
}
walk(profile.head, [])
console.log(variant, mix, 'ops', done, 'bytes/op', Math.round(total / done))
for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(String(Math.round(v / done)).padStart(6), k)
if (store.close) await store.close()
