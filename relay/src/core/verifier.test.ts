import type { NostrEvent } from 'nostr-tools/core'
import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
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

  it('does not trust a verdict cached on the object it was given', async () => {
    const v = await createWasmVerifier()
    const ev: NostrEvent = signEvent(newKey().sk, 1, 1000)
    expect(await v.verify(ev)).toBe(true)
    ev.content = 'edited after verification'
    expect(await v.verify(ev)).toBe(false)
  })
})
