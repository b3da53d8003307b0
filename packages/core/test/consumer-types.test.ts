/**
 * The published declarations as users' TypeScript resolves them (node10, node16 from ESM and
 * CommonJS, bundler), on the built package: see fixtures/types.
 */
import { fileURLToPath } from 'node:url'
import { runConsumerTypeTests } from '@levelsession/core/testing'

runConsumerTypeTests({
  packagesDir: fileURLToPath(new URL('../..', import.meta.url)),
  packages: ['core'],
  fixturesDir: fileURLToPath(new URL('./fixtures/types', import.meta.url)),
})
