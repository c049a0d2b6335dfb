import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { toEventTemplate, type Kind21000Announce } from '../../src/nostr/kind21000'
import type { RelayClient } from '../src/core/client'
import type { VerifiedAnnounce } from '../src/ledger/announce-accounting'

export const HASH_A = 'a'.repeat(40)
export const HASH_B = 'b'.repeat(40)
export const SESSION_1 = '1'.repeat(32)
export const SESSION_2 = '2'.repeat(32)

/** A signing identity for tests. */
export function newKey(): { sk: Uint8Array; pubkey: string } {
  const sk = generateSecretKey()
  return { sk, pubkey: getPublicKey(sk) }
}

/**
 * A signed kind 21000 announce; counters default to a fresh leecher. Like
 * every fixture event it is a plain JSON object, free of the verdict
 * nostr-tools caches on the objects it signs.
 */
export function signAnnounce(
  sk: Uint8Array,
  createdAt: number,
  fields: Partial<Kind21000Announce> = {},
): NostrEvent {
  const announce: Kind21000Announce = {
    infoHash: HASH_A,
    uploaded: 0n,
    downloaded: 0n,
    left: 1000n,
    session: SESSION_1,
    ...fields,
  }
  return plain(finalizeEvent(toEventTemplate(announce, createdAt), sk))
}

/** A signed event of any kind. */
export function signEvent(
  sk: Uint8Array,
  kind: number,
  createdAt: number,
  tags: string[][] = [],
  content = '',
): NostrEvent {
  return plain(finalizeEvent({ kind, created_at: createdAt, tags, content }, sk))
}

function plain(ev: NostrEvent): NostrEvent {
  return JSON.parse(JSON.stringify(ev)) as NostrEvent
}

/** A client that records what the relay sends it. */
export class RecordingClient implements RelayClient {
  readonly messages: unknown[][] = []
  private static next = 0

  constructor(
    readonly id = `test-${++RecordingClient.next}`,
    readonly ip = '127.0.0.1',
  ) {}

  send(msg: unknown[]): void {
    // A JSON round trip, as the transport does, so tests see what goes on the wire.
    this.messages.push(JSON.parse(JSON.stringify(msg)) as unknown[])
  }

  /** The latest OK message for an event id. */
  ok(id: string): [string, string, boolean, string] | undefined {
    const oks = this.messages.filter((m) => m[0] === 'OK' && m[1] === id)
    return oks.at(-1) as [string, string, boolean, string] | undefined
  }

  of(type: string): unknown[][] {
    return this.messages.filter((m) => m[0] === type)
  }

  /** Events delivered to a subscription, in order. */
  events(subId: string): NostrEvent[] {
    return this.messages
      .filter((m) => m[0] === 'EVENT' && m[1] === subId)
      .map((m) => m[2] as NostrEvent)
  }

  clear(): void {
    this.messages.length = 0
  }
}

/**
 * Builds announces as the ledger receives them once verified: ids counting
 * up, the session named after the pubkey, nothing moved unless `fields` say
 * so, dated `at` (default `now()`).
 */
export function verifiedAnnounces(
  infoHash: string,
  now: () => number,
): (pubkey: string, fields?: Partial<Kind21000Announce>, at?: number) => VerifiedAnnounce {
  let id = 0
  return (pubkey, fields = {}, at = now()) => ({
    pubkey,
    eventId: (++id).toString(16).padStart(64, '0'),
    createdAt: at,
    announce: {
      infoHash,
      uploaded: 0n,
      downloaded: 0n,
      left: 0n,
      session: pubkey.slice(0, 32),
      ...fields,
    },
  })
}
