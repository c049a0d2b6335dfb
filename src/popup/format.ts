import type { RelayResult } from '../background/relay-result'
import type { RelayConnState } from '../background/relay-pool'

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB']

/**
 * Bytes in decimal units with one decimal, computed on BigInt so counters
 * beyond 2^53 stay exact (1 TSEED is 10^6 bytes, hence decimal units).
 *
 * @example formatBytes('1500000') // '1.5 MB'
 */
export function formatBytes(value: string | bigint): string {
  let n: bigint
  try {
    n = typeof value === 'bigint' ? value : BigInt(value)
  } catch {
    return '?'
  }
  if (n < 1000n) return `${n} B`
  let unit = 0
  let scale = 1n
  while (n >= scale * 1000n && unit < UNITS.length - 1) {
    scale *= 1000n
    unit++
  }
  const tenths = (n * 10n) / scale
  return `${tenths / 10n}.${tenths % 10n} ${UNITS[unit] ?? ''}`
}

/** `abcdef12…7890`, for a 40-hex info hash. */
/** An amount of sats in words: "1 sat", "21 sats". */
export function formatSats(amount: string | bigint): string {
  const n = amount.toString()
  return n === '1' ? '1 sat' : `${n} sats`
}

export function shortHash(hex: string): string {
  return hex.length <= 16 ? hex : `${hex.slice(0, 8)}…${hex.slice(-4)}`
}

/** How long ago, coarse: `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatAge(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

/**
 * One relay's answer as the popup shows it. Accepted answers start with `OK`;
 * refusals show the relay's own message.
 */
export function relayResultText(r: RelayResult, now: number, hasKey: boolean): string {
  switch (r.state) {
    case 'ok':
      return r.message === '' ? 'OK' : `OK (${r.message})`
    case 'refused':
      return r.message
    case 'pending':
      return hasKey ? 'sending…' : 'waiting for key'
    case 'retry': {
      const s = Math.ceil((r.nextAttemptAt - now) / 1000)
      return s > 0 ? `retry in ${s} s: ${r.error}` : `retrying: ${r.error}`
    }
    case 'superseded':
      return 'superseded by a newer announce'
  }
}

export function relayStateText(state: RelayConnState, error?: string): string {
  return state === 'error' && error !== undefined ? `error: ${error}` : state
}

/** The host part of a relay URL, for compact labels. */
export function relayLabel(url: string): string {
  try {
    const u = new URL(url)
    return u.pathname === '/' || u.pathname === '' ? u.host : `${u.host}${u.pathname}`
  } catch {
    return url
  }
}
