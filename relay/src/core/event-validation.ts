import { hash } from 'node:crypto'
import type { NostrEvent } from 'nostr-tools/core'
import type { RelayLimits } from './limits'

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/
const MAX_KIND = 65535

export type EventShapeResult = { ok: true; event: NostrEvent } | { ok: false; reason: string }

/**
 * Returns the event id if the value has a well-formed one. Without it the
 * relay cannot address an OK reply, so the caller falls back to NOTICE.
 */
export function readEventId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const id = (value as { id?: unknown }).id
  return typeof id === 'string' && HEX64.test(id) ? id : undefined
}

/**
 * Checks the NIP-01 field types and the size limits, and returns a fresh event
 * holding only the seven NIP-01 fields. Copying matters twice: unknown fields
 * never reach storage, and a verifier that caches its verdict on the object
 * never sees an object someone else touched.
 */
export function checkEventShape(value: unknown, limits: RelayLimits): EventShapeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('event must be a JSON object')
  }
  const v = value as Record<string, unknown>
  const { id, pubkey, created_at, kind, tags, content, sig } = v
  if (typeof id !== 'string' || !HEX64.test(id)) return fail('id must be 64 lowercase hex chars')
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) {
    return fail('pubkey must be 64 lowercase hex chars')
  }
  if (typeof sig !== 'string' || !HEX128.test(sig)) {
    return fail('sig must be 128 lowercase hex chars')
  }
  if (typeof created_at !== 'number' || !Number.isSafeInteger(created_at) || created_at < 0) {
    return fail('created_at must be a non-negative integer (unix seconds)')
  }
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > MAX_KIND) {
    return fail(`kind must be an integer from 0 to ${MAX_KIND}`)
  }
  if (typeof content !== 'string') return fail('content must be a string')
  if (content.length > limits.maxContentLength) {
    return fail(`content too long: ${content.length} chars, limit ${limits.maxContentLength}`)
  }
  if (!Array.isArray(tags)) return fail('tags must be an array')
  if (tags.length > limits.maxEventTags) {
    return fail(`too many tags: ${tags.length}, limit ${limits.maxEventTags}`)
  }
  const copy: string[][] = []
  for (const [i, tag] of (tags as unknown[]).entries()) {
    if (!Array.isArray(tag) || tag.length === 0) {
      return fail(`tag ${i} must be a non-empty array of strings`)
    }
    for (const item of tag as unknown[]) {
      if (typeof item !== 'string') {
        return fail(`tag ${i} holds a ${describe(item)}; tag values must be strings`)
      }
    }
    copy.push([...(tag as string[])])
  }
  return { ok: true, event: { id, pubkey, created_at, kind, tags: copy, content, sig } }
}

/**
 * The NIP-01 id: sha256 over the canonical JSON serialization. node:crypto
 * rather than a JS hash, because the relay hashes every event it receives;
 * its one-shot `hash()` skips the Hash object that `createHash` builds
 * (about 1 µs less per event).
 */
export function computeEventId(ev: Omit<NostrEvent, 'id' | 'sig'>): string {
  const serialized = JSON.stringify([0, ev.pubkey, ev.created_at, ev.kind, ev.tags, ev.content])
  return hash('sha256', serialized, 'hex')
}

function fail(reason: string): EventShapeResult {
  return { ok: false, reason }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}
