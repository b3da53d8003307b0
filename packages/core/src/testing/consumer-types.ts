/**
 * @module
 * A package's published types as consumers' TypeScript resolves them: `tsc` on consumer files
 * under each `moduleResolution` in use (node10 still reads `types` and `typesVersions`, node16
 * and bundler read `exports`). Runs on the built `dist`, as a published package would.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt } from './fixtures.js'

/** How a consumer's TypeScript resolves modules. */
export type Resolution = 'node10' | 'node16' | 'bundler'

const FLAGS: Record<Resolution, string[]> = {
  node10: ['--module', 'commonjs', '--moduleResolution', 'node10'],
  node16: ['--module', 'node16', '--moduleResolution', 'node16'],
  bundler: ['--module', 'esnext', '--moduleResolution', 'bundler'],
}

/**
 * Type-checks `files` (strict, no emit) as a consumer under `resolution`, and resolves to what
 * `tsc` printed: '' when they compile. Under node16 a `.cts` file is a CommonJS consumer and a
 * `.ts` file in an ESM package an ESM one.
 */
export function typecheckConsumer(
  files: readonly string[],
  resolution: Resolution,
): Promise<string> {
  const require = createRequire(import.meta.url)
  const tsc = require.resolve('typescript/bin/tsc')
  const major = Number(
    (require('typescript/package.json') as { version: string }).version.split('.')[0],
  )
  // Node's own types, from where this package finds them (tsc runs outside the project).
  const typeRoots = dirname(dirname(require.resolve('@types/node/package.json')))
  const args = [
    tsc,
    '--noEmit',
    '--strict',
    // Checks how our declarations resolve and what they say, not third-party declarations.
    '--skipLibCheck',
    '--target',
    'es2022',
    '--typeRoots',
    typeRoots,
    '--types',
    'node',
    ...FLAGS[resolution],
    // TypeScript 6 deprecates node10; consumers on 5.x and older still use it.
    ...(resolution === 'node10' && major >= 6 ? ['--ignoreDeprecations', '6.0'] : []),
    ...files,
  ]
  return new Promise((resolve) => {
    // Outside any project: no tsconfig.json of ours applies (and TypeScript 6 refuses files
    // given on the command line while one is present).
    const options = { cwd: tmpdir(), timeout: 60_000 }
    execFile(process.execPath, args, options, (error, stdout, stderr) => {
      resolve(error === null ? '' : `${stdout}${stderr}`.trim() || error.message)
    })
  })
}

export interface ConsumerTypeTestOptions {
  /** The `packages/` folder. */
  packagesDir: string
  /** The packages whose `dist` the consumers use, e.g. `['core', 'hono']`. */
  packages: readonly string[]
  /** The folder holding `consumer.ts` (every entry point) and `consumer.cts` (CommonJS ones). */
  fixturesDir: string
}

/**
 * One test per `moduleResolution`: the consumer files type-check against the built package, so
 * every entry point's declarations resolve as a user's TypeScript finds them.
 */
export function runConsumerTypeTests(options: ConsumerTypeTestOptions): void {
  const { packagesDir, packages, fixturesDir } = options
  describe("consumers' TypeScript", () => {
    beforeAll(() => assertBuilt(packagesDir, packages))
    for (const resolution of ['node10', 'node16', 'bundler'] as const) {
      it(`finds every entry point's types under moduleResolution ${resolution}`, async () => {
        const files = [join(fixturesDir, 'consumer.ts')]
        if (resolution === 'node16') files.push(join(fixturesDir, 'consumer.cts'))
        expect(await typecheckConsumer(files, resolution)).toBe('')
      }, 60_000)
    }
  })
}
