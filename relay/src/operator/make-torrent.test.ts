import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parseTorrent from 'parse-torrent'
import { afterAll, describe, expect, it } from 'vitest'
import { CliUsageError } from '../cli-options'
import { announceUrl, makeTorrent, maskCredential } from './make-torrent'

const CRED = 'AbCdEfGhIjKlMnOpQrStUv-_'
const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tseed-mt-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('make-torrent', () => {
  it('writes a private torrent announcing only to the personal URL, readable by parse-torrent', async () => {
    const dir = tempDir()
    const file = join(dir, 'data.bin')
    writeFileSync(file, Buffer.alloc(300_000, 7))
    const made = await makeTorrent(file, {
      credential: CRED,
      url: 'https://relay.example/',
      out: join(dir, 'data.torrent'),
      force: false,
    })
    expect(made.announce).toBe(`https://relay.example/t/${CRED}/announce`)
    const t = await parseTorrent(readFileSync(made.file))
    expect(t.infoHash).toBe(made.infoHash)
    expect(t.private).toBe(true)
    expect(t.announce).toEqual([made.announce])
    expect(t.urlList).toEqual([])
    expect(t.length).toBe(300_000)
    expect(made.bytes).toBe(300_000)
    // It holds a credential: only its owner may read it.
    expect(statSync(made.file).mode & 0o777).toBe(0o600)
  })

  it('keeps the info hash whatever the tracker URL, so every user’s copy is one swarm', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'folder'))
    writeFileSync(join(dir, 'folder', 'a.txt'), 'a'.repeat(40_000))
    writeFileSync(join(dir, 'folder', 'b.txt'), 'b'.repeat(1_000))
    const one = await makeTorrent(join(dir, 'folder'), {
      credential: CRED,
      url: 'http://127.0.0.1:7447',
      out: join(dir, 'one.torrent'),
      force: false,
    })
    const two = await makeTorrent(join(dir, 'folder'), {
      credential: `http://127.0.0.1:7447/announce?auth=${'z'.repeat(24)}`,
      url: 'unused',
      out: join(dir, 'two.torrent'),
      force: false,
    })
    expect(two.infoHash).toBe(one.infoHash)
    expect(two.announce).toBe(`http://127.0.0.1:7447/announce?auth=${'z'.repeat(24)}`)
    expect(one.bytes).toBe(41_000)
    await expect(
      makeTorrent(join(dir, 'folder'), {
        credential: CRED,
        url: 'http://x',
        out: join(dir, 'one.torrent'),
        force: false,
      }),
    ).rejects.toThrow(/exists; give --out or --force/)
  })

  it('accepts a credential or a tracker URL, nothing else', () => {
    expect(() => announceUrl('short', 'http://x')).toThrow(CliUsageError)
    expect(() => announceUrl('https://relay.example/t/x/scrape', 'http://x')).toThrow(
      /end in \/announce/,
    )
    expect(() => announceUrl(CRED, 'ftp://x')).toThrow(/http\(s\)/)
    expect(announceUrl(CRED, 'https://relay.example/base/')).toBe(
      `https://relay.example/base/t/${CRED}/announce`,
    )
    expect(maskCredential(`https://r/t/${CRED}/announce`)).toBe('https://r/t/AbCd…/announce')
  })
})
