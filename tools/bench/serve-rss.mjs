// Memory of an app serving a stored population: opens the session database at argv[2] in a
// fresh process (as an app does after a restart), runs the store-level mixed workload (80% get,
// 15% set, 5% touch, 64 in flight) over its sessions for argv[3] seconds, and prints one JSON
// line with the RSS split into anonymous memory and file-backed pages (LevelDB maps its table
// files; the kernel can drop those pages). Used by prune.mjs; runnable alone.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createSessionStore } from '@levelsession/core'
import { collectGarbage } from './lib.mjs'

const [dir, seconds = '10'] = process.argv.slice(2)
if (dir === undefined) {
  console.error('usage: node --expose-gc tools/bench/serve-rss.mjs <database dir> [seconds]')
  process.exit(2)
}

const store = createSessionStore({ path: dir, cleanupInterval: 0 })
const ids = []
for await (const record of store.entries()) {
  ids.push(record.id)
  if (ids.length === 100_000) break
}
const data = (await store.get(ids[0])).data
let ops = 0
const until = Date.now() + Number(seconds) * 1000
async function worker() {
  while (Date.now() < until) {
    const id = ids[Math.floor(Math.random() * ids.length)]
    const roll = Math.random()
    if (roll < 0.8) await store.get(id)
    else if (roll < 0.95) await store.set(id, data)
    else await store.touch(id)
    ops++
  }
}
await Promise.all(Array.from({ length: 64 }, worker))
collectGarbage()
await sleep(500)
const status = readFileSync('/proc/self/status', 'utf8')
const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
console.log(
  JSON.stringify({
    ops,
    rssMB: process.memoryUsage().rss / 1048576,
    anonMB: kb('RssAnon') / 1024,
    fileMB: kb('RssFile') / 1024,
    heapUsedMB: process.memoryUsage().heapUsed / 1048576,
  }),
)
await store.close()
