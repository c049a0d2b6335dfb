import {
  TseedApiClient,
  type AuthSigner,
  type FetchLike,
  type HistoryEntry,
} from '../../balance/api-client'
import { createSerialQueue, createStorageItem, type StorageAreaLike } from '../storage-item'
import { tseedApiClient, type TseedRelayDirectory } from '../tseed-relays'
import { explainApiError, WalletError } from './wallet-error'

/** What one relay said about one key's balance. */
export interface BalanceValues {
  tseed: bigint
  sat: bigint
  /** What the TSEED would fetch in sats now; null while the relay's pool is empty. */
  tseedValueSat: bigint | null
  testMode: boolean
}

/**
 * The last answer of one relay for one key. An error row keeps the last good
 * values (`previous`), so the popup can still show them, marked stale.
 */
export type BalanceRow =
  | ({ relay: string; pubkey: string; at: number; ok: true } & BalanceValues)
  | {
      relay: string
      pubkey: string
      at: number
      ok: false
      error: string
      previous?: BalanceValues
    }

export interface BalanceTotals {
  tseed: bigint
  sat: bigint
  /** Sum of the known values; `valueComplete` is false when a relay's pool gave none. */
  tseedValueSat: bigint
  valueComplete: boolean
  relays: number
}

/**
 * Test-mode relays (free deposits) are summed apart from the others: adding
 * play money to real money would misstate both.
 */
export interface BalanceSummary {
  live: BalanceTotals
  test: BalanceTotals
  errors: number
}

export interface BalanceService {
  /** Asks every configured TSEED relay; concurrent calls share one round. Never rejects. */
  refresh(reason: string): Promise<BalanceRow[]>
  /** The stored rows of the current key (or `pubkey`), without asking any relay. */
  cached(pubkey?: string): Promise<BalanceRow[]>
  /** `GET /history` of one relay; rejects with a {@link WalletError}. */
  history(relay: string, limit?: number): Promise<HistoryEntry[]>
}

export interface BalanceServiceDeps {
  storage: StorageAreaLike
  directory: TseedRelayDirectory
  /** The relays the user configured, as WebSocket URLs. */
  relays: () => Promise<readonly string[]>
  pubkey: () => Promise<string>
  sign: AuthSigner
  fetch: FetchLike
  /** Milliseconds. */
  now: () => number
}

export const BALANCES_KEY = 'walletBalances'

/** BigInt does not survive `storage.local` (JSON), so amounts are stored as decimal strings. */
interface StoredValues {
  tseed: string
  sat: string
  tseedValueSat: string | null
  testMode: boolean
}

type StoredRow =
  | ({ relay: string; pubkey: string; at: number; ok: true } & StoredValues)
  | { relay: string; pubkey: string; at: number; ok: false; error: string; previous?: StoredValues }

interface StoredBalances {
  rows: StoredRow[]
  refreshedAt: number
  reason: string
}

export function createBalanceService(deps: BalanceServiceDeps): BalanceService {
  const item = createStorageItem<StoredBalances>(deps.storage, BALANCES_KEY, {
    defaultValue: { rows: [], refreshedAt: 0, reason: '' },
    parse: parseStored,
  })
  const serial = createSerialQueue()
  let inFlight: Promise<BalanceRow[]> | undefined

  const clientFor = (relay: string): Promise<TseedApiClient> =>
    tseedApiClient(deps.directory, relay, {
      fetch: deps.fetch,
      sign: deps.sign,
      now: () => Math.floor(deps.now() / 1000),
    })

  const cached = async (pubkey?: string): Promise<BalanceRow[]> => {
    const pk = pubkey ?? (await deps.pubkey())
    return (await item.get()).rows.filter((r) => r.pubkey === pk).map(fromStored)
  }

  /** One relay's row; `null` for a relay that is not a TSEED relay (it has no balance). */
  const ask = async (
    relay: string,
    pubkey: string,
    before: BalanceRow | undefined,
  ): Promise<BalanceRow | null> => {
    let values: BalanceValues
    try {
      const b = await (await clientFor(relay)).balance()
      values = {
        tseed: b.balances.tseed,
        sat: b.balances.sat,
        tseedValueSat: b.tseedValueSat,
        testMode: b.testMode,
      }
    } catch (e) {
      if (e instanceof WalletError && e.code === 'not_a_tseed_relay') return null
      const previous = before === undefined ? undefined : before.ok ? before : before.previous
      return {
        relay,
        pubkey,
        at: deps.now(),
        ok: false,
        error: explainApiError(e, 'read your balance').message,
        ...(previous !== undefined ? { previous: valuesOf(previous) } : {}),
      }
    }
    return { relay, pubkey, at: deps.now(), ok: true, ...values }
  }

  const round = async (reason: string): Promise<BalanceRow[]> => {
    const [relays, pubkey] = await Promise.all([deps.relays(), deps.pubkey()])
    const before = new Map((await cached(pubkey)).map((r) => [r.relay, r]))
    const rows = (await Promise.all(relays.map((r) => ask(r, pubkey, before.get(r))))).filter(
      (r): r is BalanceRow => r !== null,
    )
    // Other keys' rows stay: switching back to a key shows its balances at once.
    await serial(async () => {
      const stored = await item.get()
      await item.set({
        rows: [...stored.rows.filter((r) => r.pubkey !== pubkey), ...rows.map(toStored)],
        refreshedAt: deps.now(),
        reason,
      })
    })
    return rows
  }

  return {
    refresh(reason) {
      inFlight ??= round(reason)
        .catch((e: unknown) => {
          // Only the key, the relay list or storage can fail here; the rows stay as they were.
          console.warn(`tseed: balance refresh (${reason}) failed: ${(e as Error).message}`)
          return cached()
        })
        .finally(() => {
          inFlight = undefined
        })
      return inFlight
    },
    cached,
    async history(relay, limit) {
      const api = await clientFor(relay)
      try {
        return await api.history(limit)
      } catch (e) {
        throw explainApiError(e, 'read your history')
      }
    },
  }
}

/** Sums rows per mode; error rows count only in `errors`, never with stale numbers. */
export function summarize(rows: readonly BalanceRow[]): BalanceSummary {
  const empty = (): BalanceTotals => ({
    tseed: 0n,
    sat: 0n,
    tseedValueSat: 0n,
    valueComplete: true,
    relays: 0,
  })
  const summary: BalanceSummary = { live: empty(), test: empty(), errors: 0 }
  for (const r of rows) {
    if (!r.ok) {
      summary.errors++
      continue
    }
    const t = r.testMode ? summary.test : summary.live
    t.tseed += r.tseed
    t.sat += r.sat
    t.relays++
    if (r.tseedValueSat === null) {
      if (r.tseed > 0n) t.valueComplete = false
    } else {
      t.tseedValueSat += r.tseedValueSat
    }
  }
  return summary
}

function valuesOf(v: BalanceValues): BalanceValues {
  return { tseed: v.tseed, sat: v.sat, tseedValueSat: v.tseedValueSat, testMode: v.testMode }
}

function toStoredValues(v: BalanceValues): StoredValues {
  return {
    tseed: v.tseed.toString(),
    sat: v.sat.toString(),
    tseedValueSat: v.tseedValueSat === null ? null : v.tseedValueSat.toString(),
    testMode: v.testMode,
  }
}

function fromStoredValues(v: StoredValues): BalanceValues {
  return {
    tseed: BigInt(v.tseed),
    sat: BigInt(v.sat),
    tseedValueSat: v.tseedValueSat === null ? null : BigInt(v.tseedValueSat),
    testMode: v.testMode,
  }
}

function toStored(r: BalanceRow): StoredRow {
  const head = { relay: r.relay, pubkey: r.pubkey, at: r.at }
  if (r.ok) return { ...head, ok: true, ...toStoredValues(r) }
  return {
    ...head,
    ok: false,
    error: r.error,
    ...(r.previous !== undefined ? { previous: toStoredValues(r.previous) } : {}),
  }
}

function fromStored(r: StoredRow): BalanceRow {
  const head = { relay: r.relay, pubkey: r.pubkey, at: r.at }
  if (r.ok) return { ...head, ok: true, ...fromStoredValues(r) }
  return {
    ...head,
    ok: false,
    error: r.error,
    ...(r.previous !== undefined ? { previous: fromStoredValues(r.previous) } : {}),
  }
}

const DIGITS = /^[0-9]{1,78}$/

function isStoredValues(v: unknown): v is StoredValues {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return (
    typeof o.tseed === 'string' &&
    DIGITS.test(o.tseed) &&
    typeof o.sat === 'string' &&
    DIGITS.test(o.sat) &&
    (o.tseedValueSat === null ||
      (typeof o.tseedValueSat === 'string' && DIGITS.test(o.tseedValueSat))) &&
    typeof o.testMode === 'boolean'
  )
}

/** Storage outlives code versions: a row that does not read back is dropped, not trusted. */
function parseStored(raw: unknown): StoredBalances | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const o = raw as Record<string, unknown>
  if (!Array.isArray(o.rows) || typeof o.refreshedAt !== 'number' || typeof o.reason !== 'string')
    return undefined
  const rows = o.rows.filter((r: unknown): r is StoredRow => {
    if (typeof r !== 'object' || r === null) return false
    const row = r as Record<string, unknown>
    if (
      typeof row.relay !== 'string' ||
      typeof row.pubkey !== 'string' ||
      typeof row.at !== 'number'
    )
      return false
    if (row.ok === true) return isStoredValues(row)
    return (
      row.ok === false &&
      typeof row.error === 'string' &&
      (row.previous === undefined || isStoredValues(row.previous))
    )
  })
  return { rows, refreshedAt: o.refreshedAt, reason: o.reason }
}
