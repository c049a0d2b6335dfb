import { defineConfig } from '@playwright/test'

// Real browsers only: Debian's Chromium (Playwright) and Firefox ESR (puppeteer-core),
// with the built extension in dist/. One worker, because each test owns a browser
// profile and a relay process and the machine has two cores.
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // WebRTC between browsers runs only in a private network namespace: tests/e2e/netns has its own config.
  testIgnore: '**/netns/**',
  outputDir: 'test-results/e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
})
