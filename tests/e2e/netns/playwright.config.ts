import { defineConfig } from '@playwright/test'
import base from '../../../playwright.config'

// The browser tests that need WebRTC between two browsers on this machine. They
// run only inside the private network namespace of scripts/netns-run.sh (each
// spec checks), so `npm test` runs them in a stage of their own; the main
// config leaves this folder out.
export default defineConfig({
  ...base,
  testDir: '.',
  testIgnore: [],
  outputDir: '../../../test-results/e2e-netns',
})
