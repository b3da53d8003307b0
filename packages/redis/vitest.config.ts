import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@levelsession/source'] },
  ssr: { resolve: { conditions: ['@levelsession/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The test files start their own redis-server processes; one file at a time keeps a 2-core
    // machine responsive.
    fileParallelism: false,
  },
})
