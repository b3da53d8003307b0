// Checks what `npm pack` would publish for every package under packages/: each file that
// package.json points to (main, types, exports) is in it, each source map's sources are in it
// (a map pointing at an unshipped file breaks stack traces and "go to definition"), README,
// LICENSE and CHANGELOG are there, and no test file is. Run after the build.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..')
const problems = []

for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  const files = new Set(report.files.map((f) => f.path))
  const fail = (message) => problems.push(`${manifest.name}: ${message}`)

  for (const required of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) {
    if (!files.has(required)) fail(`${required} is not packed`)
  }
  for (const file of files) {
    if (/\.test\.[cm]?[jt]s$/.test(file)) fail(`test file ${file} is packed`)
    if (!file.endsWith('.map')) continue
    const map = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    for (const source of map.sources) {
      const target = normalize(join(dirname(file), map.sourceRoot ?? '', source))
      if (!files.has(target)) fail(`${file} points at ${target}, which is not packed`)
    }
  }
  // Every path package.json points to, except the monorepo's own source condition.
  const targets = []
  const collect = (value, key) => {
    if (key === '@levelsession/source') return
    if (typeof value === 'string') targets.push(value)
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) collect(v, k)
    }
  }
  collect([manifest.main, manifest.module, manifest.types, manifest.exports, manifest.bin])
  for (const [, paths] of Object.entries(manifest.typesVersions?.['*'] ?? {})) collect(paths)
  for (const target of targets) {
    if (target === undefined) continue
    const path = normalize(target)
    if (!files.has(path)) fail(`package.json points at ${target}, which is not packed`)
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log('check-packs: every package packs what it points at')
