/**
 * Known-answer and agreement tests of the relay's two secp256k1
 * implementations: the native libsecp256k1 addon and nostr-wasm. Each case
 * runs through both and both must give the expected answer.
 *
 * The addon must be built (scripts/setup.sh runs `npm run build:native`): a
 * missing addon fails these tests with the reason, never skips them.
 */
import { schnorr } from '@noble/curves/secp256k1.js'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent as finalizePure } from 'nostr-tools/pure'
import { finalizeEvent as finalizeWasm } from 'nostr-tools/wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { BIP340_VECTORS } from '../../../tests/support/bip340-vectors'
import { loadNostrWasmRaw, type RawSchnorr } from '../../../tests/support/nostr-wasm-raw'
import { toEventTemplate } from '../../../src/nostr/kind21000'
import { seeded } from '../fuzz/prng'
import { nativeBatchChecker, wasmBatchChecker, type BatchChecker } from './batch-checker'
import { computeEventId } from './event-validation'
import { BUILD_COMMAND, loadNativeSecp256k1, type NativeSecp256k1 } from './native-secp256k1'
import { loadNostrWasm, OUTCOMES, type VerifyOutcome } from './verifier'

/** The addon, or an error that fails the calling test with the reason and the fix. */
function requireNative(): NativeSecp256k1 {
  const load = loadNativeSecp256k1()
  if (!load.ok) {
    throw new Error(
      `the native secp256k1 addon is required by these tests and ${load.cause}; ` +
        `build it with ${BUILD_COMMAND} (scripts/setup.sh does)`,
    )
  }
  return load.addon
}

let wasmRaw: RawSchnorr
let wasmChecker: BatchChecker

beforeAll(async () => {
  wasmRaw = await loadNostrWasmRaw()
  wasmChecker = await wasmBatchChecker()
  await loadNostrWasm()
})

const hex = (s: string): Buffer => Buffer.from(s, 'hex')

/** Each checker's verdicts on `events`, labelled by implementation. */
function verdicts(events: readonly NostrEvent[]): Record<string, VerifyOutcome[]> {
  const out: Record<string, VerifyOutcome[]> = {}
  for (const c of [nativeBatchChecker(requireNative()), wasmChecker]) {
    out[c.implementation] = [...c.check(events)].map((code) => OUTCOMES[code] ?? 'bad-id')
  }
  return out
}

/** One bit of a hex string flipped, counted from the first byte's low bit. */
function flipBit(value: string, bit: number): string {
  const bytes = hex(value)
  const i = Math.floor(bit / 8) % bytes.length
  bytes[i] = (bytes[i] ?? 0) ^ (1 << (bit % 8))
  return bytes.toString('hex')
}

/** The event with new fields and its id recomputed, so only the signature is wrong. */
function rehashed(ev: NostrEvent, fields: Partial<NostrEvent>): NostrEvent {
  const changed = { ...ev, ...fields }
  return { ...changed, id: computeEventId(changed) }
}

/** The event with new fields, id recomputed and signed again by `sk`: only the new field is wrong. */
function resigned(ev: NostrEvent, fields: Partial<NostrEvent>, sk: Uint8Array): NostrEvent {
  const changed = rehashed(ev, fields)
  return { ...changed, sig: Buffer.from(schnorr.sign(hex(changed.id), sk)).toString('hex') }
}

describe('BIP-340 test vectors', () => {
  it('are answered as the BIP says by the native addon and by nostr-wasm', () => {
    const records = Buffer.alloc(BIP340_VECTORS.length * 128)
    BIP340_VECTORS.forEach((v, i) => {
      hex(v.message).copy(records, i * 128)
      hex(v.publicKey).copy(records, i * 128 + 32)
      hex(v.signature).copy(records, i * 128 + 64)
    })
    const native = requireNative().verify(records, BIP340_VECTORS.length)
    BIP340_VECTORS.forEach((v, i) => {
      const label = `vector ${v.index} (${v.comment || 'valid'})`
      expect(native[i] === 1, `native, ${label}`).toBe(v.valid)
      const wasm = wasmRaw.verify(hex(v.publicKey), hex(v.message), hex(v.signature))
      expect(wasm, `nostr-wasm, ${label}`).toBe(v.valid)
    })
    // Both kinds are present, or the loop above proves little.
    expect(BIP340_VECTORS.filter((v) => v.valid)).toHaveLength(5)
    expect(BIP340_VECTORS.filter((v) => !v.valid)).toHaveLength(10)
  })
})

describe('NIP-01 events, known answers', () => {
  // Secret key 3, as in BIP-340 vector 0; its x-only pubkey is f9308a…36f9.
  const SK = hex('00'.repeat(31) + '03')
  const PUBKEY = 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9'
  const template = {
    kind: 1,
    created_at: 1_700_000_000,
    tags: [
      ['t', 'nostr'],
      ['e', 'x'],
    ],
    content: 'hé "quoted"\nline 2 ✓ 🌱',
  }
  // sha256 of [0,"f930…36f9",1700000000,1,[["t","nostr"],["e","x"]],"hé \"quoted\"\nline 2 ✓ 🌱"]
  // as UTF-8, computed with coreutils sha256sum.
  const ID = '1f93428a1c5514af2f413c4cd489cd5b5034296589015db008b08191a4891f83'

  function signed(): NostrEvent {
    return JSON.parse(JSON.stringify(finalizePure({ ...template }, SK))) as NostrEvent
  }

  it('hashes the serialisation to the known id, and both accept the event', () => {
    const ev = signed()
    expect(ev.pubkey).toBe(PUBKEY)
    expect(ev.id).toBe(ID)
    expect(computeEventId(ev)).toBe(ID)
    expect(verdicts([ev])).toEqual({ native: ['valid'], wasm: ['valid'] })
  })

  it('refuses an id off by one bit, wherever the bit is', () => {
    const ev = signed()
    const cases = [0, 1, 7, 8, 100, 255].map((bit) => ({ ...ev, id: flipBit(ev.id, bit) }))
    const expected = cases.map((): VerifyOutcome => 'bad-id')
    expect(verdicts(cases)).toEqual({ native: expected, wasm: expected })
  })

  const malformed: [string, (ev: NostrEvent) => NostrEvent, VerifyOutcome][] = [
    ['content changed, id kept', (ev) => ({ ...ev, content: ev.content + ' ' }), 'bad-id'],
    [
      'a tag changed, id kept',
      (ev) => ({
        ...ev,
        tags: [
          ['t', 'nostR'],
          ['e', 'x'],
        ],
      }),
      'bad-id',
    ],
    ['created_at changed, id kept', (ev) => ({ ...ev, created_at: ev.created_at + 1 }), 'bad-id'],
    ['content changed, id recomputed', (ev) => rehashed(ev, { content: 'other' }), 'bad-signature'],
    // Malformed keys: the id is recomputed, so only the key is at fault.
    [
      'pubkey not on the curve (BIP-340 vector 5)',
      (ev) => rehashed(ev, { pubkey: BIP340_VECTORS[5]!.publicKey }),
      'bad-signature',
    ],
    [
      'pubkey >= the field size (vector 14)',
      (ev) => rehashed(ev, { pubkey: BIP340_VECTORS[14]!.publicKey }),
      'bad-signature',
    ],
    ['pubkey all zero', (ev) => rehashed(ev, { pubkey: '00'.repeat(32) }), 'bad-signature'],
    [
      'pubkey one byte short',
      (ev) => rehashed(ev, { pubkey: ev.pubkey.slice(2) }),
      'bad-signature',
    ],
    ['pubkey one byte long', (ev) => rehashed(ev, { pubkey: ev.pubkey + '00' }), 'bad-signature'],
    [
      'pubkey in upper-case hex',
      (ev) => rehashed(ev, { pubkey: ev.pubkey.toUpperCase() }),
      'bad-signature',
    ],
    [
      'pubkey not hex',
      (ev) => rehashed(ev, { pubkey: 'zz' + ev.pubkey.slice(2) }),
      'bad-signature',
    ],
    [
      'pubkey of another key',
      (ev) => rehashed(ev, { pubkey: BIP340_VECTORS[1]!.publicKey }),
      'bad-signature',
    ],
    // A key of the wrong form that nostr-wasm alone would read as the right
    // key: id and signature are made for exactly this event.
    [
      'pubkey one byte long, id and sig made for it',
      (ev) => resigned(ev, { pubkey: ev.pubkey + '00' }, SK),
      'bad-signature',
    ],
    [
      'pubkey in upper-case hex, id and sig made for it',
      (ev) => resigned(ev, { pubkey: ev.pubkey.toUpperCase() }, SK),
      'bad-signature',
    ],
    // Malformed signatures.
    ['sig one bit off in r', (ev) => ({ ...ev, sig: flipBit(ev.sig, 3) }), 'bad-signature'],
    ['sig one bit off in s', (ev) => ({ ...ev, sig: flipBit(ev.sig, 300) }), 'bad-signature'],
    [
      'sig r equal to the field size',
      (ev) => ({
        ...ev,
        sig: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f' + ev.sig.slice(64),
      }),
      'bad-signature',
    ],
    [
      'sig s equal to the curve order',
      (ev) => ({
        ...ev,
        sig:
          ev.sig.slice(0, 64) + 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
      }),
      'bad-signature',
    ],
    ['sig all zero', (ev) => ({ ...ev, sig: '00'.repeat(64) }), 'bad-signature'],
    ['sig one byte short', (ev) => ({ ...ev, sig: ev.sig.slice(0, 126) }), 'bad-signature'],
    ['sig one byte long', (ev) => ({ ...ev, sig: ev.sig + '00' }), 'bad-signature'],
    ['sig empty', (ev) => ({ ...ev, sig: '' }), 'bad-signature'],
    ['sig not hex', (ev) => ({ ...ev, sig: ev.sig.slice(0, 126) + 'zz' }), 'bad-signature'],
  ]

  const named = malformed.map(([name, mutate, expected]) => ({ name, mutate, expected }))
  it.each(named)('$name: both say $expected', ({ mutate, expected }) => {
    const ev = mutate(signed())
    expect(verdicts([ev])).toEqual({ native: [expected], wasm: [expected] })
  })

  it('judges each event of a mixed batch on its own', () => {
    const good = signed()
    const batch = [good, ...malformed.map(([, mutate]) => mutate(signed())), good]
    const expected: VerifyOutcome[] = ['valid', ...malformed.map(([, , e]) => e), 'valid']
    expect(verdicts(batch)).toEqual({ native: expected, wasm: expected })
  })
})

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
describe('randomized agreement', () => {
  const SEED = 0x7ee5
  const EVENTS = 3000

  it(`gives the same verdict as nostr-wasm on ${EVENTS} signed events, half of them mutated`, () => {
    const rand = seeded(SEED)
    const int = (n: number): number => rand.int(n)
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
    const events: NostrEvent[] = []
    for (let i = 0; i < EVENTS; i++) {
      const sk = bytes(32)
      const template =
        i % 3 === 0
          ? {
              kind: 1,
              created_at: 1_700_000_000 + i,
              tags: [['t', `tag ${i}`]],
              content: `note ${i} ✓ "${'é'.repeat(i % 7)}"\n`,
            }
          : toEventTemplate(
              {
                infoHash: Buffer.from(bytes(20)).toString('hex'),
                uploaded: BigInt(int(1e9)),
                downloaded: BigInt(int(1e9)),
                left: BigInt(int(1e9)),
                session: Buffer.from(bytes(16)).toString('hex'),
                port: 1 + int(65535),
                event: 'started',
              },
              1_700_000_000 + i,
            )
      // Most are signed by nostr-wasm (fast), every tenth by nostr-tools' pure JS signer.
      const signed = i % 10 === 0 ? finalizePure(template, sk) : finalizeWasm(template, sk)
      events.push(JSON.parse(JSON.stringify(signed)) as NostrEvent)
    }
    const expected: VerifyOutcome[] = []
    const cases = events.map((ev, i) => {
      const other = events[(i + 1) % events.length]!
      const kind = i % 2 === 0 ? 0 : 1 + int(8)
      const [mutated, outcome]: [NostrEvent, VerifyOutcome] = (() => {
        switch (kind) {
          case 0:
            return [ev, 'valid']
          case 1:
            return [{ ...ev, id: flipBit(ev.id, int(256)) }, 'bad-id']
          case 2:
            return [{ ...ev, sig: flipBit(ev.sig, int(512)) }, 'bad-signature']
          case 3:
            return [rehashed(ev, { pubkey: flipBit(ev.pubkey, int(256)) }), 'bad-signature']
          case 4:
            return [{ ...ev, content: ev.content + String.fromCharCode(32 + int(90)) }, 'bad-id']
          case 5:
            return [rehashed(ev, { created_at: ev.created_at + 1 + int(100) }), 'bad-signature']
          case 6:
            return [{ ...ev, sig: other.sig }, 'bad-signature']
          case 7:
            return [rehashed(ev, { pubkey: other.pubkey }), 'bad-signature']
          default:
            return [{ ...ev, tags: [...ev.tags, ['x', String(int(10))]] }, 'bad-id']
        }
      })()
      expected.push(outcome)
      return mutated
    })
    const { native, wasm } = verdicts(cases)
    const disagreements = cases
      .map((ev, i) => ({ i, ev, native: native?.[i], wasm: wasm?.[i], expected: expected[i] }))
      .filter((c) => c.native !== c.wasm || c.native !== c.expected)
    expect(disagreements, `seed ${SEED}`).toEqual([])
    expect(native).toHaveLength(EVENTS)
    // Every kind of answer occurred, so agreement covered all three.
    expect(new Set(native)).toEqual(new Set(['valid', 'bad-id', 'bad-signature']))
  })
})
