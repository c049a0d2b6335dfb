import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runRelayCli, spawnRelay, type RelayCliRun } from '../../scripts/relay-process'
import { isOk, RawClient } from './ws-client'
import { newKey, signAnnounce } from './fixtures'

const runs: RelayCliRun[] = []
const dirs: string[] = []

afterEach(() => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function run(args: string[]): RelayCliRun {
  const r = runRelayCli(args)
  runs.push(r)
  return r
}

describe('relay CLI', () => {
  it('starts, serves, and exits cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-cli-'))
    dirs.push(dir)
    const db = join(dir, 'nested', 'relay.sqlite')
    const relay = await spawnRelay(['--port', '0', '--db', db, '--announce-ttl', '60'], {
      timeoutMs: 15_000,
    })
    runs.push(relay)
    const { url } = relay
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
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
    relay.child.kill('SIGTERM')
    expect(await relay.exited).toBe(0)
    expect(await closed).toBe(1001)
  })

  it('prints usage for --help and exits 2 on a bad flag', async () => {
    const help = run(['--help'])
    expect(await help.exited).toBe(0)
    expect(help.output()).toMatch(/--announce-ttl <seconds>/)
    const bad = run(['--port', 'x'])
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toMatch(/--port must be an integer/)
  })
})
