/**
 * Random and mutated client frames for the relay's WebSocket front door:
 * bad JSON, wrong types, huge tags, deep nesting, forged events (valid signed
 * events with a byte changed), unknown verbs, binary and fragmented frames,
 * oversized frames, control characters, duplicate keys, numbers out of range.
 * Everything comes from one seeded {@link Random}, so a seed replays a run.
 */
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { ANNOUNCE_TAG_NAMES } from '../../../src/nostr/kind21000'
import type { FrameTransport } from './frame-oracle'
import type { Random } from './prng'

export interface FuzzFrame {
  /** The message text; for `bad-utf8`, the bytes are in `bytes`. */
  text: string
  bytes?: Buffer
  transport: FrameTransport
  /** For `fragmented`: how many continuation frames. */
  fragments?: number
  /** Which generator made it, for the per-family counts. */
  family: string
  /** An event whose id or signature was broken on purpose: must never be accepted. */
  forged: boolean
}

export interface FrameGeneratorOptions {
  /** Valid signed events to mutate (kind 21000 announces and ephemeral events). */
  signed: readonly NostrEvent[]
  /**
   * Signs an event template with a key the relay has not seen: mutated
   * announces are then signed again, so their tags reach the announce parser
   * and the ledger instead of stopping at the signature check.
   */
  sign?: (template: EventTemplate) => NostrEvent
  /** The relay's frame limit, to aim oversized frames just over it. */
  maxMessageBytes: number
  /**
   * Share of frames that make the relay close the connection (over four times
   * the limit, or not UTF-8); each costs a reconnect. Default 0.005.
   */
  closingShare?: number
}

const VERBS = ['EVENT', 'REQ', 'CLOSE', 'AUTH', 'COUNT', 'NOTICE', 'OK', 'EOSE', 'event', 'req', '']
const FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const
const ODD_NUMBERS = [
  '-1',
  '0',
  '-0',
  '1.5',
  '1e400',
  '-1e400',
  '9007199254740993',
  '18446744073709551616',
  '4294967296',
  '65536',
  '1e21',
  '0.0000001',
  '2147483648',
]
// `x` is no announce tag: the parser must ignore it.
const ANNOUNCE_TAGS = [...ANNOUNCE_TAG_NAMES, 'x']
const ODD_TAG_VALUES = [
  '99999999999999999999',
  '18446744073709551615',
  '',
  ' 1',
  '0x10',
  'started',
  'stopped',
  'completed',
  'paused',
  'wss://relay.example',
  'javascript:alert(1)',
  'x'.repeat(300),
]
const ODD_VALUES = [
  'null',
  'true',
  'false',
  '""',
  '[]',
  '{}',
  '"x"',
  '[[]]',
  '{"a":1}',
  ...ODD_NUMBERS,
]

/**
 * Returns a function that makes the next frame.
 *
 * @example
 * const next = frameGenerator(seeded(1), { signed, maxMessageBytes: 131072 })
 * const frame = next() // { text: '["REQ","f1",{"kinds":[-1]}]', transport: 'text', … }
 */
export function frameGenerator(r: Random, o: FrameGeneratorOptions): () => FuzzFrame {
  let n = 0
  const subId = (): string => `f${(n++).toString(36)}`
  const hex = (len: number): string => {
    let s = ''
    for (let i = 0; i < len; i++) s += '0123456789abcdef'.charAt(r.int(16))
    return s
  }
  const junk = (len: number): string => {
    let s = ''
    for (let i = 0; i < len; i++)
      s += String.fromCharCode(r.chance(0.9) ? 32 + r.int(95) : r.int(0x3000))
    return s
  }
  const signedEvent = (): NostrEvent => r.pick(o.signed)
  const eventJson = (e: NostrEvent): string => JSON.stringify(e)
  const filter = (): string =>
    JSON.stringify(
      r.pick([
        { kinds: [21000], '#i': [hex(40)], limit: r.int(5) },
        { ids: [hex(64)] },
        { authors: [hex(64)], kinds: [20000 + r.int(10000)], limit: 0 },
        { kinds: [21000], since: 2_000_000_000 },
      ]),
    )

  /** Replaces one character of `s` between `from` and `to` with another hex digit. */
  const flipHex = (s: string): string => {
    const at = r.int(s.length)
    const c = s.charAt(at)
    const d = '0123456789abcdef'.charAt((parseInt(c, 16) + 1 + r.int(15)) % 16)
    return s.slice(0, at) + d + s.slice(at + 1)
  }

  const families: [number, string, () => Omit<FuzzFrame, 'family'>][] = [
    [
      14,
      'forged-event',
      () => {
        const e = signedEvent()
        const which = r.int(8)
        const m: Record<string, unknown> = { ...e }
        if (which === 0) m.sig = flipHex(e.sig)
        else if (which === 1) m.id = flipHex(e.id)
        else if (which === 2) m.content = e.content + junk(1 + r.int(4))
        else if (which === 3) m.created_at = e.created_at + 1 + r.int(100)
        else if (which === 4) m.pubkey = flipHex(e.pubkey)
        else if (which === 5) m.kind = e.kind + 1
        else if (which === 6) m.tags = [...e.tags, ['x', hex(8)]]
        else m.sig = e.sig.slice(0, 64) + flipHex(e.sig.slice(64))
        return text(`["EVENT",${JSON.stringify(m)}]`, true)
      },
    ],
    [
      o.sign === undefined ? 0 : 4,
      'resigned-announce',
      () => {
        const base = o.signed.find((e) => e.kind === 21000 && r.chance(0.3)) ?? signedEvent()
        let tags = base.tags.map((t) => [...t])
        const v = r.int(8)
        const at = r.int(tags.length)
        const name = r.pick(ANNOUNCE_TAGS)
        const value = r.pick([...ODD_NUMBERS, ...ODD_TAG_VALUES, hex(40), hex(32)])
        if (v === 0) tags[at] = [tags[at]?.[0] ?? name, value]
        else if (v === 1) tags.push([name, value])
        else if (v === 2) tags.splice(at, 1)
        else if (v === 3) tags[at] = [...(tags[at] ?? [name]), value]
        else if (v === 4) tags.push([...(tags[at] ?? [name])])
        else if (v === 5) tags = tags.map((t) => (t[0] === name ? [name, value] : t))
        else if (v === 6) tags.push(...Array.from({ length: 10 + r.int(10) }, () => ['x', hex(4)]))
        else tags[at] = [name]
        const createdAt = base.created_at + r.pick([0, 1, -1, -400, 1000, -100_000])
        const content = r.chance(0.9) ? '' : 'x'
        const e = o.sign?.({ kind: 21000, created_at: createdAt, tags, content })
        if (e === undefined)
          throw new Error('unreachable: the family has weight 0 without a signer')
        return text(`["EVENT",${JSON.stringify(e)}]`, false)
      },
    ],
    [4, 'valid-event', () => text(`["EVENT",${eventJson(signedEvent())}]`, false)],
    [
      10,
      'bad-json',
      () => {
        const base = r.chance(0.5)
          ? `["EVENT",${eventJson(signedEvent())}]`
          : `["REQ","${subId()}",${filter()}]`
        const at = r.int(base.length)
        const v = r.int(7)
        if (v === 0) return text(base.slice(0, at), false)
        if (v === 1)
          return text(
            base.slice(0, at) + r.pick([',', '}', ']', '"', "'", '\\', ':']) + base.slice(at),
            false,
          )
        if (v === 2) return text(base.replace(/"/g, "'"), false)
        if (v === 3) return text(`${base.slice(0, -1)},]`, false)
        if (v === 4) return text(junk(1 + r.int(200)), false)
        if (v === 5)
          return text(
            r.pick(['NaN', 'undefined', '[Infinity]', '', ' ', '\u0000', '["EVENT",]']),
            false,
          )
        return text(`${base}${r.pick(['x', ']', ',', '{}'])}`, false)
      },
    ],
    [
      12,
      'wrong-types',
      () => {
        const v = r.int(4)
        if (v === 0) {
          // An event with one field of the wrong type.
          const original = signedEvent()
          const e: Record<string, unknown> = { ...original }
          e[r.pick(FIELDS)] = JSON.parse(
            r.pick(ODD_VALUES.filter((x) => !x.startsWith('1e4') && !x.startsWith('-1e4'))),
          )
          if (r.chance(0.2)) Reflect.deleteProperty(e, r.pick(FIELDS))
          // The odd value may happen to equal the original (an announce's content is "").
          const json = JSON.stringify(e)
          return text(`["EVENT",${json}]`, json !== JSON.stringify(original))
        }
        if (v === 1) return text(`["EVENT",${r.pick(ODD_VALUES)}]`, false)
        if (v === 2)
          return text(
            `["REQ",${r.pick([...ODD_VALUES, `"${subId()}"`])},${r.pick([...ODD_VALUES, filter()])}]`,
            false,
          )
        return text(`["CLOSE",${r.pick(ODD_VALUES)}]`, false)
      },
    ],
    [
      8,
      'bad-filter',
      () => {
        const key = r.pick([
          'ids',
          'authors',
          'kinds',
          'since',
          'until',
          'limit',
          '#i',
          '#x',
          '#',
          '#ab',
          'search',
          '__proto__',
          '',
        ])
        const value = r.pick([
          ...ODD_VALUES,
          `[${r.pick(ODD_VALUES)}]`,
          `["${hex(64)}"]`,
          `[${ODD_NUMBERS.join(',')}]`,
        ])
        const many = r.chance(0.1) ? `,${Array.from({ length: 12 }, () => '{}').join(',')}` : ''
        return text(`["REQ","${subId()}",{"${key}":${value}}${many}]`, false)
      },
    ],
    [
      6,
      'unknown-verb',
      () => {
        const verb = r.chance(0.7)
          ? JSON.stringify(r.pick(VERBS))
          : r.pick([...ODD_VALUES, JSON.stringify(junk(40))])
        const rest = Array.from({ length: r.int(3) }, () => r.pick([...ODD_VALUES, filter()])).join(
          ',',
        )
        return text(`[${verb}${rest === '' ? '' : `,${rest}`}]`, false)
      },
    ],
    [
      4,
      'huge-tags',
      () => {
        const e = signedEvent()
        const count = r.chance(0.5) ? 101 + r.int(2000) : 1 + r.int(20)
        const width = Math.max(1, Math.floor((o.maxMessageBytes * 0.8) / count) - 8)
        const tags = Array.from({ length: count }, () => ['t', 'x'.repeat(r.int(width))])
        return text(`["EVENT",${JSON.stringify({ ...e, tags })}]`, true)
      },
    ],
    [
      4,
      'deep-nesting',
      () => {
        // Mostly a few thousand levels; now and then as deep as the frame limit allows.
        const deepest = r.chance(0.2) ? Math.floor(o.maxMessageBytes / 2) - 200 : 3000
        const depth = 100 + r.int(deepest)
        const nest = '['.repeat(depth) + ']'.repeat(depth)
        const v = r.int(4)
        if (v === 0) return text(`["REQ","${subId()}",{"kinds":${nest}}]`, false)
        if (v === 1)
          return text(
            `["EVENT",${JSON.stringify({ ...signedEvent(), tags: [] }).replace('"tags":[]', `"tags":${nest}`)}]`,
            true,
          )
        if (v === 2) return text(nest, false)
        return text(
          `["REQ","${subId()}",${'{"a":'.repeat(depth / 10)}1${'}'.repeat(depth / 10)}]`,
          false,
        )
      },
    ],
    [
      4,
      'control-chars',
      () => {
        const ctl = String.fromCharCode(r.int(32))
        const escaped = JSON.stringify(ctl).slice(1, -1)
        const v = r.int(4)
        if (v === 0) return text(`["REQ","${subId()}${ctl}",${filter()}]`, false)
        if (v === 1) return text(`["REQ","${subId()}${escaped}",${filter()}]`, false)
        if (v === 2) {
          const e: Record<string, unknown> = { ...signedEvent(), content: `x${ctl}y` }
          return text(`["EVENT",${JSON.stringify(e)}]`, true)
        }
        return text(
          `["CLOSE","${subId()}${escaped}"]`.replace('CLOSE', r.pick(['CLOSE', `CLO${ctl}SE`])),
          false,
        )
      },
    ],
    [
      4,
      'duplicate-keys',
      () => {
        const e = signedEvent()
        const v = r.int(3)
        const json = eventJson(e)
        if (v === 0) return text(`["EVENT",${json.replace('{', `{"id":"${hex(64)}",`)}]`, false)
        if (v === 1) return text(`["EVENT",${json.replace(/}$/, `,"sig":"${hex(128)}"}`)}]`, true)
        return text(
          `["REQ","${subId()}",{"kinds":[21000],"kinds":${r.pick(ODD_VALUES)},"limit":1,"limit":${r.pick(ODD_NUMBERS)}}]`,
          false,
        )
      },
    ],
    [
      6,
      'out-of-range',
      () => {
        const e = JSON.stringify({ ...signedEvent(), created_at: 0, kind: 0 })
        const v = r.int(3)
        if (v === 0)
          return text(
            `["EVENT",${e.replace('"created_at":0', `"created_at":${r.pick(ODD_NUMBERS)}`)}]`,
            true,
          )
        if (v === 1)
          return text(`["EVENT",${e.replace('"kind":0', `"kind":${r.pick(ODD_NUMBERS)}`)}]`, true)
        return text(
          `["REQ","${subId()}",{"${r.pick(['limit', 'since', 'until'])}":${r.pick(ODD_NUMBERS)}}]`,
          false,
        )
      },
    ],
    [
      3,
      'binary',
      () => {
        const t = r.chance(0.5) ? `["REQ","${subId()}",${filter()}]` : junk(1 + r.int(64))
        return { text: t, transport: 'binary', forged: false }
      },
    ],
    [
      4,
      'fragmented',
      () => {
        const t = r.chance(0.5)
          ? `["EVENT",${eventJson(signedEvent())}]`
          : `["REQ","${subId()}",${filter()}]`
        return { text: t, transport: 'fragmented', fragments: 2 + r.int(4), forged: false }
      },
    ],
    [
      2,
      'oversized',
      () => {
        const over = o.maxMessageBytes + 1 + r.int(o.maxMessageBytes)
        if (r.chance(0.6)) {
          const e = { ...signedEvent(), content: 'x'.repeat(over) }
          return text(`["EVENT",${JSON.stringify(e)}]`, true)
        }
        return text(`["REQ","${subId()}",{"#i":["${'a'.repeat(over)}"]}]`, false)
      },
    ],
    [
      8,
      'well-formed',
      () => {
        const id = subId()
        const v = r.int(3)
        if (v === 0) return text(`["CLOSE","${id}"]`, false)
        return text(`["REQ","${id}",${filter()}]`, false)
      },
    ],
  ]
  const total = families.reduce((s, [w]) => s + w, 0)
  const closingShare = o.closingShare ?? 0.005

  return () => {
    if (r.chance(closingShare)) {
      if (r.chance(0.5)) {
        const bytes = Buffer.concat([
          Buffer.from('["REQ","'),
          Buffer.from(r.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]])),
          Buffer.from('"]'),
        ])
        return { text: '', bytes, transport: 'bad-utf8', family: 'bad-utf8', forged: false }
      }
      const e = { ...signedEvent(), content: 'x'.repeat(o.maxMessageBytes * 4 + 16) }
      return {
        text: `["EVENT",${JSON.stringify(e)}]`,
        transport: 'text',
        family: 'oversized-closing',
        forged: true,
      }
    }
    let pick = r.int(total)
    for (const [weight, family, make] of families) {
      if (pick < weight) return { ...make(), family }
      pick -= weight
    }
    throw new Error('unreachable: weights cover the range')
  }
}

function text(t: string, forged: boolean): Omit<FuzzFrame, 'family'> {
  return { text: t, transport: 'text', forged }
}
