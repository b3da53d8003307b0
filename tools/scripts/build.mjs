// Builds the package in the current directory twice from one source: ESM (tsconfig.lib.json ->
// dist/esm) and CommonJS (tsconfig.cjs.json -> dist/cjs), so `import` and `require` both work on
// every Node 20 release, including those without require(esm).
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const dist = join(process.cwd(), 'dist')

rmSync(dist, { recursive: true, force: true })
for (const config of ['tsconfig.lib.json', 'tsconfig.cjs.json']) {
  const run = spawnSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
// The package is "type": "module"; this marker makes Node read dist/cjs/*.js as CommonJS.
mkdirSync(join(dist, 'cjs'), { recursive: true })
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n')
