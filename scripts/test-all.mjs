#!/usr/bin/env node
// The one test command (`npm test`): every gate and suite in order, then a
// summary whose last line is "N passed, N failed". A gate (typecheck, lint,
// build, web-ext lint) counts as one test; suites count their own tests.
// Stages keep running after a failure so one run shows everything that is red.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'

const RESULTS = 'test-results'
mkdirSync(RESULTS, { recursive: true })

const stages = [
  { name: 'typecheck', cmd: ['npx', 'tsc', '--noEmit', '-p', '.'] },
  { name: 'eslint', cmd: ['npx', 'eslint', '.', '--max-warnings', '0'] },
  { name: 'prettier', cmd: ['npx', 'prettier', '--check', '.'] },
  { name: 'unit and integration (vitest)', run: vitest },
  { name: 'build chrome', cmd: ['npx', 'vite', 'build', '--mode', 'chrome', '--logLevel', 'warn'] },
  {
    name: 'build firefox',
    cmd: ['npx', 'vite', 'build', '--mode', 'firefox', '--logLevel', 'warn'],
  },
  { name: 'web-ext lint', run: webExtLint },
  { name: 'e2e (playwright: chromium, firefox)', run: playwright },
  { name: 'e2e WebRTC between two browsers (private network namespace)', run: playwrightNetns },
]

function sh(cmd, env = {}) {
  const r = spawnSync(cmd[0], cmd.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  })
  return r.status === 0
}

function capture(cmd) {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 })
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/**
 * The ledger's 10^5-step random test, on SQLite and on PostgreSQL, takes
 * minutes, nearly all of them waiting on PostgreSQL round trips. It runs in a
 * vitest process of its own, started with the first stage, beside the other
 * stages; the vitest stage waits for it and counts it.
 */
const BESIDE = ['relay/src/ledger/ledger.property.test.ts']
const beside = startBeside()

function startBeside() {
  const out = `${RESULTS}/vitest-beside.json`
  const logFile = `${RESULTS}/vitest-beside.log`
  rmSync(out, { force: true })
  const log = openSync(logFile, 'w')
  const child = spawn(
    'npx',
    [
      'vitest',
      'run',
      ...BESIDE,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
    ],
    { stdio: ['ignore', log, log] },
  )
  closeSync(log)
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve({ ok: code === 0, out, logFile }))
  })
}

async function vitest() {
  rmSync(`${RESULTS}/vitest.json`, { force: true })
  const main = vitestReport(
    sh([
      'npx',
      'vitest',
      'run',
      ...BESIDE.flatMap((f) => ['--exclude', f]),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${RESULTS}/vitest.json`,
    ]),
    `${RESULTS}/vitest.json`,
  )
  const b = await beside
  console.info(`\n--- ${BESIDE.join(', ')} (run beside the other stages)`)
  console.info(readFileSync(b.logFile, 'utf8'))
  const side = vitestReport(b.ok, b.out)
  return {
    passed: main.passed + side.passed,
    failed: main.failed + side.failed,
    ...(main.note || side.note ? { note: [main.note, side.note].filter(Boolean).join('; ') } : {}),
  }
}

function vitestReport(ok, out) {
  if (!existsSync(out)) return { passed: 0, failed: 1, note: `vitest wrote no ${out}` }
  const r = JSON.parse(readFileSync(out, 'utf8'))
  const failed = r.numFailedTests + (ok || r.numFailedTests > 0 ? 0 : 1)
  return { passed: r.numPassedTests, failed }
}

/** 0 errors required; every warning code must be explained in docs/web-ext-lint.md. */
function webExtLint() {
  const r = capture(['npx', 'web-ext', 'lint', '--source-dir', 'dist/firefox', '--output', 'json'])
  let report
  try {
    report = JSON.parse(r.stdout)
  } catch {
    console.error(r.stdout, r.stderr)
    return { passed: 0, failed: 1, note: 'web-ext lint gave no JSON' }
  }
  const docs = existsSync('docs/web-ext-lint.md')
    ? readFileSync('docs/web-ext-lint.md', 'utf8')
    : ''
  const unexplained = report.warnings.filter((w) => !docs.includes(w.code))
  for (const e of report.errors) console.error(`  error ${e.code}: ${e.message} (${e.file ?? ''})`)
  for (const w of report.warnings) {
    const tag = docs.includes(w.code) ? 'explained' : 'UNEXPLAINED'
    console.info(`  warning ${w.code} [${tag}]: ${w.file ?? ''}`)
  }
  console.info(`  ${report.errors.length} errors, ${report.warnings.length} warnings`)
  return report.errors.length === 0 && unexplained.length === 0
}

function playwright() {
  return playwrightReport('playwright.json', ['npx', 'playwright', 'test', '--reporter=list,json'])
}

/**
 * The specs of tests/e2e/netns, inside the private network namespace of
 * scripts/netns-run.sh, the only place they may run: headless Chromium makes
 * WebRTC connections there and nowhere else on this machine. Creating it needs
 * root (CI runs as root); without it the stage fails, it never skips.
 */
function playwrightNetns() {
  const missing = netnsMissing()
  if (missing) {
    console.error(`  cannot create a private network namespace: ${missing}`)
    return { passed: 0, failed: 1, note: `no network namespace: ${missing}` }
  }
  return playwrightReport('playwright-netns.json', [
    'bash',
    'scripts/netns-run.sh',
    'npx',
    'playwright',
    'test',
    '--config',
    'tests/e2e/netns/playwright.config.ts',
    '--reporter=list,json',
  ])
}

/** Why scripts/netns-run.sh cannot work here, or null. */
function netnsMissing() {
  if (process.platform !== 'linux') return 'network namespaces exist only on Linux'
  if (process.getuid?.() !== 0) return 'it needs root (run npm test as root, as CI does)'
  const tools = capture(['sh', '-c', 'command -v unshare && command -v ip'])
  if (!tools.ok) return 'unshare (util-linux) and ip (iproute2) are required'
  return null
}

function playwrightReport(name, cmd) {
  const out = `${RESULTS}/${name}`
  rmSync(out, { force: true })
  // Absolute: Playwright resolves a relative name against the config's folder.
  const ok = sh(cmd, { PLAYWRIGHT_JSON_OUTPUT_NAME: resolve(out) })
  if (!existsSync(out)) return { passed: 0, failed: 1, note: 'playwright wrote no report' }
  const s = JSON.parse(readFileSync(out, 'utf8')).stats
  const failed = s.unexpected + s.flaky + (ok || s.unexpected > 0 ? 0 : 1)
  return { passed: s.expected, failed, skipped: s.skipped }
}

let passed = 0
let failed = 0
let skipped = 0
const rows = []
const started = Date.now()
for (const stage of stages) {
  console.info(`\n=== ${stage.name}`)
  const t0 = Date.now()
  let res = stage.run ? await stage.run() : sh(stage.cmd)
  if (typeof res === 'boolean') res = { passed: res ? 1 : 0, failed: res ? 0 : 1 }
  passed += res.passed
  failed += res.failed
  skipped += res.skipped ?? 0
  const secs = ((Date.now() - t0) / 1000).toFixed(1)
  rows.push(
    `${res.failed ? 'FAIL' : 'ok  '} ${stage.name}: ${res.passed} passed, ${res.failed} failed (${secs}s)${res.note ? ` - ${res.note}` : ''}`,
  )
}

console.info('\n=== summary')
for (const row of rows) console.info(row)
console.info(`total time ${((Date.now() - started) / 1000).toFixed(0)}s`)
console.info(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
