import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'src/**/*.test.tsx',
      'relay/**/*.test.ts',
      'tests/integration/**/*.test.ts',
    ],
    environment: 'node',
    // One throwaway PostgreSQL cluster for the run (TSEED_TEST_POSTGRES=off skips it).
    globalSetup: ['tests/support/postgres-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
