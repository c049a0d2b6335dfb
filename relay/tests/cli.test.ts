import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { isOk, RawClient } from './ws-client'
import { newKey, signAnnounce } from './fixtures'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const children: ChildProcessWithoutNullStreams[] = []
const dirs: string[] = []

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function run(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args])
  children.push(child)
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return { child, out: () => out }
}

function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      resolve(code)
    }),
  )
}

describe('relay CLI', () => {
  it('starts, serves, and exits cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-cli-'))
    dirs.push(dir)
    const db = join(dir, 'nested', 'relay.sqlite')
    const { child, out } = run(['--port', '0', '--db', db, '--announce-ttl', '60'])
    await expect.poll(out, { timeout: 15_000 }).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+/)
    const url = /ws:\/\/127\.0\.0\.1:\d+/.exec(out())![0]
    expect(existsSync(db)).toBe(true)

    const c = await RawClient.connect(url)
    const ev = signAnnounce(newKey().sk, Math.floor(Date.now() / 1000))
    c.send(['EVENT', ev])
    expect(await c.next(isOk(ev.id))).toEqual(['OK', ev.id, true, ''])
    const info = await fetch(url.replace('ws:', 'http:'), {
      headers: { Accept: 'application/nostr+json' },
    })
    expect(((await info.json()) as { tseed: unknown }).tseed).toMatchObject({
      kinds: [21000],
      announce_ttl: 60,
    })

    const closed = c.closed()
    child.kill('SIGTERM')
    expect(await exitCode(child)).toBe(0)
    expect(await closed).toBe(1001)
  })

  it('prints usage for --help and exits 2 on a bad flag', async () => {
    const help = run(['--help'])
    expect(await exitCode(help.child)).toBe(0)
    expect(help.out()).toMatch(/--announce-ttl <seconds>/)
    const bad = run(['--port', 'x'])
    expect(await exitCode(bad.child)).toBe(2)
    expect(bad.out()).toMatch(/--port must be an integer/)
  })
})
