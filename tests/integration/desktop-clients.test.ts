import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { DesktopReport } from '../support/desktop/scenario'

const SCENARIO = fileURLToPath(new URL('../support/desktop/scenario.ts', import.meta.url))
const FILE_BYTES = 20 * 1024 * 1024
const PROGRAMS = ['unshare', 'ip', 'transmission-daemon', 'aria2c', 'qbittorrent-nox']

/**
 * Runs the scenario in a private network namespace with only loopback up:
 * nothing leaves the machine. Creating one needs root, as in CI.
 */
function runScenario(): Promise<{ report: DesktopReport | undefined; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      [
        '--net',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        '--import',
        'tsx',
        SCENARIO,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('close', () => {
      const line = /^REPORT (.*)$/m.exec(out)?.[1]
      resolve({
        report: line === undefined ? undefined : (JSON.parse(line) as DesktopReport),
        output: out,
      })
    })
  })
}

describe('desktop BitTorrent clients through the tracker endpoint', () => {
  it('moves a 20 MiB file from Transmission to aria2 and qBittorrent, charging the downloaders and paying the seeder', async () => {
    const missing = PROGRAMS.filter(
      (p) => spawnSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' }).status !== 0,
    )
    expect(missing, 'install them with scripts/setup.sh (Debian packages)').toEqual([])
    expect(process.getuid?.(), 'a private network namespace needs root, as in CI').toBe(0)

    const { report, output } = await runScenario()
    expect(report, output.slice(-4000)).toBeDefined()
    const r = report!
    expect(r.error, r.error).toBeUndefined()

    // One private torrent per user, all of the same file: the announce URL is outside `info`.
    const hashes = new Set(r.torrents.map((t) => t.infoHash))
    expect(hashes.size).toBe(1)
    expect([...hashes][0]).toMatch(/^[0-9a-f]{40}$/)
    expect(r.torrents.map((t) => t.private)).toEqual([1, 1, 1, 1])
    expect(r.torrents.map((t) => t.user)).toEqual(['A', 'B', 'C', 'D'])
    for (const t of r.torrents.slice(0, 3)) {
      expect(t.announce).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+\/t\/[A-Za-z0-9_-]{24}\/announce$/)
    }
    expect(r.torrents[3]?.announce).toMatch(/\/announce\?auth=[A-Za-z0-9_-]{24}$/)
    // The command line never prints a whole credential.
    expect(r.cliOutput).toMatch(
      /private torrent [0-9a-f]{40}, 20971520 bytes, tracker .*\/t\/.{4}…\/announce/,
    )

    // Every downloader has the seeder's exact bytes.
    expect(r.downloads.map((d) => [d.user, d.client])).toEqual([
      ['B', 'aria2'],
      ['C', 'aria2'],
      ['D', 'qbittorrent-nox'],
    ])
    for (const d of r.downloads) expect(d.sha256).toBe(r.fileSha256)

    // Unfunded, C was refused with the figures and got no peers; nothing was charged.
    expect(r.refusal.failuresSeen).toBeGreaterThan(0)
    expect(r.refusal.aria2Log).toMatch(
      /Tracker returned failure reason: insufficient balance: need 21 TSEED, have 0; top up/,
    )
    expect(r.refusal.listedWhileRefused).toBe(0)
    expect(r.refusal.chargedWhileRefused).toBe('0')
    expect(r.refusal.failureReason).toMatch(
      /^insufficient balance: need [0-9]+ TSEED, have 0; top up .* at http:\/\/127\.0\.0\.1:[0-9]+\/api\/v1\/deposit/,
    )

    // 1 TSEED per 10^6 bytes downloaded (docs/ledger.md), the remainder carried.
    const perDownload = BigInt(Math.floor(FILE_BYTES / 1e6))
    for (const u of ['B', 'C', 'D']) {
      const charged = BigInt(r.charged[u] ?? '-1')
      // A client may report a block it fetched twice: one announce's rounding at most.
      expect(charged >= perDownload && charged <= perDownload + 1n, `${u} charged ${charged}`).toBe(
        true,
      )
    }
    expect(r.charged.A).toBe('0')
    const escrow = BigInt(r.charged.B!) + BigInt(r.charged.C!) + BigInt(r.charged.D!)
    expect(BigInt(r.escrowBeforeSettle)).toBe(escrow)

    // A claimed what Transmission reported uploading, and was paid out of the escrow.
    expect(r.transmissionUploaded).toBeGreaterThanOrEqual(3 * FILE_BYTES)
    expect(BigInt(r.claimedByA)).toBe(BigInt(Math.floor(r.transmissionUploaded / 1e6)))
    const claimed = BigInt(r.claimedByA)
    const paid = claimed < escrow ? claimed : escrow
    expect(BigInt(r.paidToA)).toBe(paid)
    expect(BigInt(r.balancesAfter.A!)).toBe(paid)
    expect(BigInt(r.escrowAfterSettle)).toBe(escrow - paid)
    expect(r.audit).toEqual({ ok: true, sums: { TSEED: '0', sat: '0' } })
  }, 300_000)
})
