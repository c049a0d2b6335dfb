import { describe, expect, it } from 'vitest'
import { AnnounceParseError, bytesToHex } from '../nostr/tracker-announce'
import { parseHookReport } from './ws-hook-report'

const announce = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'announce',
  tracker: 'wss://tracker.test:8443/announce/PASSKEY',
  infoHash: 'ab'.repeat(20),
  peer: 'cd'.repeat(32),
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: 'started',
  ...over,
})

const answer = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'answer',
  tracker: 'ws://127.0.0.1:9000',
  infoHash: 'ab'.repeat(20),
  interval: 120,
  complete: 1,
  incomplete: 0,
  ...over,
})

describe('parseHookReport', () => {
  it('reads an announce into the form the intake takes, keeping only the tracker host', () => {
    const r = parseHookReport(announce())
    expect(r).toEqual({
      kind: 'announce',
      trackerHost: 'tracker.test:8443',
      announce: {
        infoHash: 'ab'.repeat(20),
        peerId: expect.any(Uint8Array) as unknown,
        uploaded: 1n,
        downloaded: 2n,
        left: 3n,
        event: 'started',
      },
    })
    expect(r.kind === 'announce' && bytesToHex(r.announce.peerId)).toBe('cd'.repeat(32))
    expect(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v))).not.toContain(
      'PASSKEY',
    )
  })

  it('keeps an unknown left as null and maps periodic and paused announces to no event', () => {
    for (const event of ['', 'paused']) {
      const r = parseHookReport(announce({ left: null, event }))
      expect(r.kind === 'announce' && r.announce).toMatchObject({ left: null })
      expect(r.kind === 'announce' && 'event' in r.announce).toBe(false)
    }
  })

  it('reads a tracker answer, leaving out what the tracker did not say', () => {
    expect(parseHookReport(answer({ complete: null }))).toEqual({
      kind: 'answer',
      trackerHost: '127.0.0.1:9000',
      answer: { infoHash: 'ab'.repeat(20), interval: 120, incomplete: 0 },
    })
  })

  it.each([
    ['not an object', 'announce'],
    ['an array', [announce()]],
    ['an unknown kind', announce({ kind: 'scrape' })],
    ['an extra field', { ...announce(), offers: [] }],
    ['a missing field', { ...announce(), event: undefined }],
    ['an http tracker', announce({ tracker: 'https://tracker.test/announce' })],
    ['a tracker that is no URL', announce({ tracker: 'wss://' })],
    ['a long tracker URL', announce({ tracker: 'wss://t.test/' + 'a'.repeat(3000) })],
    ['an upper-case info hash', announce({ infoHash: 'AB'.repeat(20) })],
    ['a short peer hash', announce({ peer: 'cd'.repeat(20) })],
    ['a counter as a string', announce({ uploaded: '1' })],
    ['a negative counter', announce({ downloaded: -2 })],
    ['a fractional counter', announce({ left: 0.5 })],
    ['an unsafe counter', announce({ uploaded: 2 ** 53 })],
    ['an unknown event', announce({ event: 'seeding' })],
    ['an event that is no string', announce({ event: null })],
    ['an implausible interval', answer({ interval: 10 ** 9 })],
    ['a negative seeder count', answer({ complete: -1 })],
  ])('refuses %s', (_name, report) => {
    expect(() => parseHookReport(report)).toThrow(AnnounceParseError)
  })
})
