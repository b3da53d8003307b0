// Helpers shared by the benchmark scripts: flags, session-shaped data, temp directories, tables.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

/**
 * Parses `--name value` flags. Each spec is `{ type: 'number' | 'string' | 'boolean', default,
 * env, help }`; a flag falls back to its environment variable, then to its default.
 */
export function flags(specs, usage) {
  const options = { help: { type: 'boolean', short: 'h' } }
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' }
  }
  const { values } = parseArgs({ options, strict: true, allowNegative: true })
  if (values.help === true) {
    console.log(usage)
    for (const [name, spec] of Object.entries(specs)) {
      const env = spec.env === undefined ? '' : ` (env ${spec.env})`
      console.log(`  --${name.padEnd(14)} ${spec.help}; default ${String(spec.default)}${env}`)
    }
    process.exit(0)
  }
  const out = {}
  for (const [name, spec] of Object.entries(specs)) {
    const raw = values[name] ?? (spec.env === undefined ? undefined : process.env[spec.env])
    if (raw === undefined) out[name] = spec.default
    else if (spec.type === 'number') {
      const n = Number(String(raw).replaceAll('_', ''))
      if (!Number.isFinite(n) || n < 0) throw new TypeError(`--${name} must be a number >= 0`)
      out[name] = n
    } else if (spec.type === 'boolean') out[name] = raw === true || raw === '1' || raw === 'true'
    else out[name] = String(raw)
  }
  return out
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel']

/**
 * Session data shaped like express-session's: a `cookie` object plus a few application fields.
 * About 300 bytes as JSON.
 */
export function sessionData(i, maxAge = 86_400_000) {
  return {
    cookie: {
      originalMaxAge: maxAge,
      expires: new Date(1_750_000_000_000 + i * 1000 + maxAge).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    userId: `user-${100_000 + (i % 900_000)}`,
    csrfSecret: `${(i * 2_654_435_761).toString(36).padStart(12, '0')}Xq7dRf2kP9sW`,
    views: i % 97,
    cart: [{ sku: `SKU-${i % 10_000}`, qty: 1 + (i % 3) }],
    flash: { notice: WORDS[i % WORDS.length] },
    lastPath: `/account/orders/${i % 5000}`,
  }
}

export async function tempDir(label) {
  return mkdtemp(join(tmpdir(), `levelsession-bench-${label}-`))
}

export async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true })
}

/** Runs `task(i)` for i in [0, n) with at most `width` calls in flight, in waves. */
export async function inWaves(n, width, task) {
  for (let start = 0; start < n; start += width) {
    const end = Math.min(n, start + width)
    const wave = []
    for (let i = start; i < end; i++) wave.push(task(i))
    await Promise.all(wave)
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Prints rows (arrays of cells) as an aligned text table; `right` lists right-aligned columns. */
export function table(header, rows, right = []) {
  const cells = [header, ...rows].map((row) => row.map((c) => String(c)))
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)))
  const line = (row) =>
    row
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  console.log(line(cells[0]))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const row of cells.slice(1)) console.log(line(row))
}

export const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  ms: (n) => n.toFixed(n < 10 ? 2 : 1),
  ratio: (n) => `${n.toFixed(2)}x`,
  mb: (bytes) => (bytes / 1048576).toFixed(1),
}

export function environment() {
  return `node ${process.version}, ${process.platform}/${process.arch}, pid ${process.pid}, ${new Date().toISOString()}`
}

/**
 * CPU time (user + system) in µs that process `pid` has used, all its threads, or only its thread
 * `thread`: Linux's /proc stat, in clock ticks of 10 ms. Throws where there is no /proc.
 */
export function cpuMicros(pid, thread) {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/** CPU time in µs of this process's main thread (see cpuMicros). */
export function mainThreadCpu() {
  return cpuMicros(process.pid, process.pid)
}

/** Runs global.gc twice when the process was started with --expose-gc. */
export function collectGarbage() {
  if (typeof globalThis.gc !== 'function') return false
  globalThis.gc()
  globalThis.gc()
  return true
}
