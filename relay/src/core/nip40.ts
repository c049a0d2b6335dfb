import type { NostrEvent } from 'nostr-tools/core'

const DIGITS = /^(0|[1-9][0-9]{0,15})$/

/**
 * Reads a NIP-40 `expiration` tag: undefined when absent, a number of unix
 * seconds, or an Error message when the tag is malformed.
 */
export function readExpiration(ev: Pick<NostrEvent, 'tags'>): number | undefined | Error {
  const tag = ev.tags.find((t) => t[0] === 'expiration')
  if (tag === undefined) return undefined
  const value = tag[1]
  if (value === undefined || !DIGITS.test(value)) {
    return new Error('expiration tag must hold unix seconds')
  }
  return Number(value)
}
