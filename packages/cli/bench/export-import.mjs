// Benchmark: `levelsession import` then `levelsession export` of N sessions through the built
// binary, as child processes. Reports wall time, CPU time and peak RSS (getrusage) of each,
// samples RSS from /proc while they run (streaming keeps it flat: the drift column is the
// anonymous memory at 90 % of the run minus that at 25 %, after start-up), and checks that the
// export equals the input byte for byte. Run `npm run build` in packages/core and packages/cli first.
//
//   node bench/export-import.mjs [--sessions 1000000] [--keep]
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setInterval, clearInterval } from 'node:timers'

const { values } = parseArgs({
  options: { sessions: { type: 'string', default: '1000000' }, keep: { type: 'boolean' } },
})
const N = Number(values.sessions.replaceAll('_', ''))
const BIN = fileURLToPath(new URL('../bin/levelsession.js', import.meta.url))
const RSS = fileURLToPath(new URL('./rss.cjs', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'levelsession-bench-'))

/** About 300 bytes of session data shaped like express-session's. */
function data(i) {
  return {
    cookie: {
      originalMaxAge: 86_400_000,
      expires: new Date(1_750_000_000_000 + i * 1000).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    userId: `user-${100_000 + (i % 900_000)}`,
    csrfSecret: `${(i * 2_654_435_761).toString(36).padStart(12, '0')}Xq7dRf2kP9sW`,
    views: i % 97,
    cart: [{ sku: `SKU-${i % 10_000}`, qty: 1 + (i % 3) }],
    lastPath: `/account/orders/${i % 5000}`,
  }
}

/** Writes N export lines in id order (the order export produces), with backpressure. */
async function writeInput(file) {
  const out = createWriteStream(file)
  const now = Date.now()
  let chunk = ''
  for (let i = 0; i < N; i++) {
    const id = `s${String(i).padStart(10, '0')}`
    const line = { id, data: data(i), createdAt: now, expiresAt: now + 86_400_000 + i }
    if (i % 3 !== 0) line.userId = `user-${i % 50_000}`
    chunk += `${JSON.stringify(line)}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
}

/** Runs the CLI; resolves to wall and CPU time (s), peak RSS and RSS samples (MiB). */
async function measure(args) {
  const rssFile = join(dir, `rss-${args[0]}`)
  const started = performance.now()
  const child = spawn(process.execPath, ['--require', RSS, BIN, ...args], {
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.on('data', (c) => (stdout += c))
  const samples = []
  const timer = setInterval(async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '')
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024
    const sample = { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') }
    // A process that is exiting has a status without memory fields.
    if (Object.values(sample).every(Number.isFinite)) samples.push(sample)
  }, 250)
  const [code] = await once(child, 'close')
  clearInterval(timer)
  if (code !== 0) throw new Error(`levelsession ${args.join(' ')} exited with ${code}: ${stdout}`)
  const seconds = (performance.now() - started) / 1000
  const usage = JSON.parse(await readFile(rssFile, 'utf8'))
  const cpu = usage.cpuMs / 1000
  return { seconds, cpu, peak: usage.maxRSS / 1024, samples, result: JSON.parse(stdout) }
}

async function sha256(file) {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

/** The sample at fraction `q` of the run. */
const at = (samples, q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]

/** RSS at 10, 25, 50, 75 and 90 % of the run, as `total (anonymous + file-backed)`. */
function spread(samples) {
  if (samples.length === 0) return 'n/a'
  return [0.1, 0.25, 0.5, 0.75, 0.9]
    .map((q) => at(samples, q))
    .map((s) => `${s.rss.toFixed(0)} (${s.anon.toFixed(0)}+${s.file.toFixed(0)})`)
    .join(' / ')
}

const peakOf = (samples, key) => Math.max(...samples.map((s) => s[key]))

/** Anonymous RSS at 90 % of the run minus that at 25 % (MiB): near 0 when memory is flat. */
function drift(samples) {
  if (samples.length === 0) return 'n/a'
  const d = at(samples, 0.9).anon - at(samples, 0.25).anon
  return `${d >= 0 ? '+' : ''}${d.toFixed(0)} MiB`
}

try {
  const input = join(dir, 'input.jsonl')
  await writeInput(input)
  const size = (await stat(input)).size
  console.log(
    `${N.toLocaleString('en')} sessions, ${(size / 2 ** 20).toFixed(0)} MiB of JSON Lines`,
  )

  const db = join(dir, 'db')
  const imp = await measure(['import', db, input, '--json'])
  const output = join(dir, 'output.jsonl')
  const exp = await measure(['export', db, output, '--json'])
  const same = (await sha256(input)) === (await sha256(output))

  const rate = (s) => Math.round(N / s).toLocaleString('en')
  console.log(
    '| command | time | CPU time | sessions/s | peak RSS | peak anonymous RSS | anonymous drift 25→90 % | RSS at 10/25/50/75/90 % of the run, MiB: total (anonymous+file) |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const [name, m] of [
    ['import', imp],
    ['export', exp],
  ]) {
    console.log(
      `| ${name} | ${m.seconds.toFixed(1)} s | ${m.cpu.toFixed(1)} s | ${rate(m.seconds)} | ${m.peak.toFixed(0)} MiB | ${peakOf(m.samples, 'anon').toFixed(0)} MiB | ${drift(m.samples)} | ${spread(m.samples)} |`,
    )
  }
  console.log(
    `imported ${imp.result.imported}, exported ${exp.result.exported}; export equals input: ${same}`,
  )
  if (!same || imp.result.imported !== N || exp.result.exported !== N) process.exitCode = 1
} finally {
  if (values.keep) console.log(`kept ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}
