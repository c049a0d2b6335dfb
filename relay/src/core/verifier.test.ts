import type { NostrEvent } from 'nostr-tools/core'
import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
import { computeEventId } from './event-validation'
import { createWasmVerifier } from './verifier'

describe('createWasmVerifier', () => {
  it('accepts a good signature and refuses a tampered event', async () => {
    const v = await createWasmVerifier()
    const ev = signEvent(newKey().sk, 21000, 1000, [['i', 'a'.repeat(40)]])
    expect(await v.verify(ev)).toBe(true)
    expect(await v.verify({ ...ev, content: 'changed' })).toBe(false)
    const otherSig = signEvent(newKey().sk, 21000, 1000).sig
    expect(await v.verify({ ...ev, sig: otherSig })).toBe(false)
  })

  it('tells a wrong id from a bad signature in check()', async () => {
    const v = await createWasmVerifier()
    const ev = signEvent(newKey().sk, 21000, 1000, [['i', 'a'.repeat(40)]])
    expect(await v.check?.(ev)).toBe('valid')
    expect(await v.check?.({ ...ev, content: 'changed' })).toBe('bad-id')
    expect(await v.check?.({ ...ev, sig: signEvent(newKey().sk, 1, 1).sig })).toBe('bad-signature')
    // A pubkey that is not on the curve is a bad signature too, never a throw.
    const offCurve = signEvent(newKey().sk, 1, 1000)
    const forged = { ...offCurve, pubkey: 'f'.repeat(64) }
    expect(await v.check?.({ ...forged, id: computeEventId(forged) })).toBe('bad-signature')
  })

  it('does not trust a verdict cached on the object it was given', async () => {
    const v = await createWasmVerifier()
    const ev: NostrEvent = signEvent(newKey().sk, 1, 1000)
    expect(await v.verify(ev)).toBe(true)
    ev.content = 'edited after verification'
    expect(await v.verify(ev)).toBe(false)
  })
})
