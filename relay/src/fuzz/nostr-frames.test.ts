import { describe, expect, it } from 'vitest'
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import { expectAnswer } from './frame-oracle'
import { frameGenerator } from './nostr-frames'
import { seeded } from './prng'
import { signedPool } from './signed-pool'

const signed = signedPool(6, 1_700_000_000, seeded(9))
const limits = { maxMessageBytes: 4096, maxSubIdLength: 64, closeFactor: 4 }

describe('frameGenerator', () => {
  it('replays the same frames for the same seed', () => {
    const a = frameGenerator(seeded(5), { signed, maxMessageBytes: 4096 })
    const b = frameGenerator(seeded(5), { signed, maxMessageBytes: 4096 })
    for (let i = 0; i < 200; i++) expect(b()).toEqual(a())
  })

  it('covers every family, and every kind of expected answer', () => {
    const sk = generateSecretKey()
    const next = frameGenerator(seeded(6), {
      signed,
      sign: (t) => finalizeEvent(t, sk),
      maxMessageBytes: 4096,
      closingShare: 0.01,
    })
    const families = new Set<string>()
    const kinds = new Set<string>()
    for (let i = 0; i < 5000; i++) {
      const f = next()
      families.add(f.family)
      kinds.add(expectAnswer(f.text, f.transport, limits, f.forged).kind)
    }
    expect([...families].sort()).toEqual(
      [
        'bad-filter',
        'bad-json',
        'bad-utf8',
        'binary',
        'control-chars',
        'deep-nesting',
        'duplicate-keys',
        'forged-event',
        'fragmented',
        'huge-tags',
        'out-of-range',
        'oversized',
        'oversized-closing',
        'resigned-announce',
        'unknown-verb',
        'valid-event',
        'well-formed',
        'wrong-types',
      ].sort(),
    )
    expect([...kinds].sort()).toEqual(['close', 'none', 'notice', 'ok', 'req'])
  })

  it('marks as forged only events that no longer verify', () => {
    const next = frameGenerator(seeded(7), { signed, maxMessageBytes: 4096 })
    let checked = 0
    for (let i = 0; i < 3000; i++) {
      const f = next()
      if (f.family !== 'forged-event') continue
      const event = (JSON.parse(f.text) as unknown[])[1] as Parameters<typeof verifyEvent>[0]
      expect(verifyEvent({ ...event }), f.text).toBe(false)
      checked++
    }
    expect(checked).toBeGreaterThan(100)
  })

  it('signs mutated announces again when given a signer, and leaves them out without one', () => {
    const sk = generateSecretKey()
    const next = frameGenerator(seeded(8), {
      signed,
      sign: (t) => finalizeEvent(t, sk),
      maxMessageBytes: 4096,
    })
    let resigned = 0
    for (let i = 0; i < 2000; i++) {
      const f = next()
      if (f.family !== 'resigned-announce') continue
      const e = (JSON.parse(f.text) as unknown[])[1] as Parameters<typeof verifyEvent>[0]
      expect(verifyEvent({ ...e })).toBe(true)
      expect(f.forged).toBe(false)
      resigned++
    }
    expect(resigned).toBeGreaterThan(30)
    const unsigned = frameGenerator(seeded(8), { signed, maxMessageBytes: 4096 })
    for (let i = 0; i < 2000; i++) expect(unsigned().family).not.toBe('resigned-announce')
  })
})
