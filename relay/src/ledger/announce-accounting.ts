/**
 * Turns verified kind 21000 announces into charges and claims (docs/ledger.md,
 * "Announces"). Counters are cumulative per client session, so the ledger
 * keeps the last counters per (pubkey, info hash, session) and accounts for
 * deltas only.
 */
import type { SwarmPrice, SwarmStats } from '../../../src/balance/pricing'
import { chargeForBytes } from '../../../src/balance/pricing'
import type { Kind21000Announce } from '../../../src/nostr/kind21000'
import { MAX_COUNTER } from '../../../src/nostr/tracker-announce'
import { readAhead, runLater, scopeKey, type SqlDatabase } from '../store/database'
import { InsufficientFunds, LedgerError } from './errors'
import type { Escrow } from './escrow'
import type { Journal } from './journal'
import { LATEST_SPENDING_COLUMNS, latestSpending, type SpendingLimiter } from './spending-limits'

export interface AnnounceLimits {
  /** Oldest accepted `created_at`, in seconds before now. */
  maxPastSeconds: number
  /** Newest accepted `created_at`, in seconds after now. */
  maxFutureSeconds: number
  /** Plausible line rate: a delta is capped at elapsed seconds × this, per direction. */
  maxBytesPerSecond: bigint
  /** Elapsed time assumed for the first announce ever seen for a (pubkey, info hash). */
  firstAnnounceSeconds: number
  /** A peer counts in swarm stats while its last announce is this recent. */
  peerTtlSeconds: number
  /** Session state unseen this long is forgotten; a later announce then starts afresh. */
  stateRetentionSeconds: number
}

export const DEFAULT_ANNOUNCE_LIMITS: AnnounceLimits = {
  maxPastSeconds: 600,
  maxFutureSeconds: 60,
  maxBytesPerSecond: 125_000_000n,
  firstAnnounceSeconds: 1800,
  peerTtlSeconds: 3600,
  stateRetentionSeconds: 7 * 24 * 3600,
}

/** An announce whose signature the relay has checked, with its parsed tags. */
export interface VerifiedAnnounce {
  pubkey: string
  eventId: string
  /** The event's `created_at`, unix seconds. */
  createdAt: number
  announce: Kind21000Announce
}

/**
 * Shaped like the relay's policy decision; the extra fields say what the
 * ledger did. A refusal wrote nothing.
 */
export type AnnounceOutcome =
  | {
      accept: true
      /** Set for duplicates and stale announces, which change nothing. */
      message?: string
      /** TSEED moved from the announcer into the swarm escrow. */
      charged: bigint
      /** TSEED claimed on the escrow for uploads. */
      claimed: bigint
      /** True when a delta exceeded the rate cap and the excess was discarded. */
      capped: boolean
    }
  | { accept: false; message: string }

interface StateRow {
  uploaded: string
  downloaded: string
  left_bytes: string
  created_at: bigint
  stopped: bigint
}

/** Everything {@link AnnounceAccounting.apply} reads, from one query. */
interface InputsRow {
  seen: bigint
  /** The session's state columns, all null when the session has none. */
  uploaded: string | null
  downloaded: string | null
  left_bytes: string | null
  created_at: bigint | null
  stopped: bigint | null
  /** The pair's latest announce in any session. */
  last_for_pair: bigint | null
  down_carry: bigint | null
  up_carry: bigint | null
  spent_at: bigint | null
  spent_amount: string | null
  spent_total: string | null
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX40 = /^[0-9a-f]{40}$/
const HEX32 = /^[0-9a-f]{32}$/

/** Per-announce accounting; methods must run inside the caller's transaction. */
export class AnnounceAccounting {
  private readonly escrow: Escrow
  private readonly spending: SpendingLimiter
  private readonly limits: AnnounceLimits
  private readonly priceOf: (infoHash: string, now: number) => SwarmPrice
  private readonly stmt

  /**
   * @param priceOf the swarm's current price; the ledger derives it from
   *   {@link AnnounceAccounting.swarmStats} and its pricing config
   */
  constructor(
    journal: Journal,
    escrow: Escrow,
    spending: SpendingLimiter,
    limits: AnnounceLimits,
    priceOf: (infoHash: string, now: number) => SwarmPrice,
  ) {
    checkLimits(limits)
    this.escrow = escrow
    this.spending = spending
    this.limits = limits
    this.priceOf = priceOf
    const db: SqlDatabase = journal.db
    const p = (sql: string) => db.prepare(sql).safeIntegers(true)
    this.stmt = {
      // One query for everything an announce reads: on PostgreSQL every
      // statement costs the server protocol work of its own (docs/scaling.md).
      // The session's state comes from the LEFT JOIN; the rest are scalar
      // subqueries.
      inputs: p(
        `SELECT
           EXISTS (SELECT 1 FROM ledger_announce_seen WHERE event_id = ?) AS seen,
           s.uploaded, s.downloaded, s.left_bytes, s.created_at, s.stopped,
           (SELECT max(created_at) FROM ledger_announce_state
             WHERE pubkey = ? AND info_hash = ?) AS last_for_pair,
           (SELECT carry FROM ledger_carry
             WHERE pubkey = ? AND info_hash = ? AND direction = 'down') AS down_carry,
           (SELECT carry FROM ledger_carry
             WHERE pubkey = ? AND info_hash = ? AND direction = 'up') AS up_carry,
           ${LATEST_SPENDING_COLUMNS}
         FROM (SELECT 1 AS one) AS one
         LEFT JOIN ledger_announce_state s
           ON s.pubkey = ? AND s.info_hash = ? AND s.session = ?`,
      ),
      markSeen: p('INSERT INTO ledger_announce_seen (event_id, created_at) VALUES (?, ?)'),
      upsertState: p(
        `INSERT INTO ledger_announce_state
           (pubkey, info_hash, session, uploaded, downloaded, left_bytes, created_at, event_id, stopped)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (pubkey, info_hash, session) DO UPDATE SET
           uploaded = excluded.uploaded, downloaded = excluded.downloaded,
           left_bytes = excluded.left_bytes, created_at = excluded.created_at,
           event_id = excluded.event_id, stopped = excluded.stopped`,
      ),
      setCarry: p(
        `INSERT INTO ledger_carry (pubkey, info_hash, direction, carry) VALUES (?, ?, ?, ?)
         ON CONFLICT (pubkey, info_hash, direction) DO UPDATE SET carry = excluded.carry`,
      ),
      peers: p(
        `SELECT max(CASE WHEN left_bytes = '0' THEN 1 ELSE 0 END) AS seeding FROM ledger_announce_state
         WHERE info_hash = ? AND stopped = 0 AND created_at >= ? GROUP BY pubkey`,
      ).pluck(),
      pruneTombstones: p('DELETE FROM ledger_announce_state WHERE stopped = 1 AND created_at < ?'),
      pruneStates: p('DELETE FROM ledger_announce_state WHERE created_at < ?'),
      pruneSeen: p('DELETE FROM ledger_announce_seen WHERE created_at < ?'),
    }
  }

  /**
   * Accounts for one announce at time `now` (unix seconds). Charges the
   * download delta into the swarm escrow and records the upload delta as a
   * claim. When the charge would pass a spending limit the key set, or the
   * balance is short, it returns the `blocked:` refusal and writes nothing,
   * so the same delta is charged on a later announce.
   */
  apply(input: VerifiedAnnounce, now: number): AnnounceOutcome {
    const invalid = checkInput(input, now, this.limits)
    if (invalid !== undefined) return { accept: false, message: `invalid: ${invalid}` }
    const { pubkey, eventId, createdAt, announce: a } = input
    const ih = a.infoHash
    const session = a.session ?? ''
    const inputs = this.stmt.inputs.get(...inputsParams(input)) as InputsRow
    if (inputs.seen !== 0n) return noChange('duplicate: already have this event')
    const state = stateOf(inputs)
    if (state !== undefined && createdAt < Number(state.created_at)) {
      return noChange('duplicate: older than the last announce of this session')
    }

    const live = state !== undefined && state.stopped === 0n ? state : undefined
    const prevUp = live === undefined ? undefined : BigInt(live.uploaded)
    const prevDown = live === undefined ? undefined : BigInt(live.downloaded)
    const reset =
      prevUp === undefined ||
      prevDown === undefined ||
      a.event === 'started' ||
      a.uploaded < prevUp ||
      a.downloaded < prevDown
    const upDelta = reset ? a.uploaded : a.uploaded - prevUp
    const downDelta = reset ? a.downloaded : a.downloaded - prevDown

    const cap =
      BigInt(this.elapsed(createdAt, state, inputs.last_for_pair)) * this.limits.maxBytesPerSecond
    const down = downDelta < cap ? downDelta : cap
    const up = upDelta < cap ? upDelta : cap
    const capped = down !== downDelta || up !== upDelta

    const price = this.priceOf(ih, now).tokensPerMB
    const downCarry = inputs.down_carry ?? 0n
    const upCarry = inputs.up_carry ?? 0n
    const downCharge = chargeForBytes(down, price, downCarry)
    const upCharge = chargeForBytes(up, price, upCarry)

    if (downCharge.tokens > 0n) {
      // The limit comes first: a top-up cannot lift it, so answering
      // "insufficient balance" first would ask for money this announce
      // still could not spend.
      // Charges are written only by this unit's own record() below, so the
      // row read with the inputs is still the newest.
      const spent = latestSpending(inputs)
      const overLimit = this.spending.refusal(pubkey, downCharge.tokens, now, spent)
      if (overLimit !== undefined) return { accept: false, message: overLimit }
      // The journal refuses the overdraft before writing anything, so a
      // refusal leaves the state, carry and seen ids untouched.
      try {
        this.escrow.fund(ih, pubkey, downCharge.tokens, announceRef(eventId), now)
      } catch (e) {
        if (e instanceof InsufficientFunds) return blocked(e.need, e.have)
        throw e
      }
      this.spending.record(pubkey, downCharge.tokens, now, spent)
    }
    if (upCharge.tokens > 0n) this.escrow.claim(ih, pubkey, eventId, upCharge.tokens, now)
    if (downCharge.carry !== downCarry)
      runLater(this.stmt.setCarry, pubkey, ih, 'down', downCharge.carry)
    if (upCharge.carry !== upCarry) runLater(this.stmt.setCarry, pubkey, ih, 'up', upCharge.carry)
    runLater(
      this.stmt.upsertState,
      pubkey,
      ih,
      session,
      a.uploaded.toString(),
      a.downloaded.toString(),
      a.left.toString(),
      createdAt,
      eventId,
      a.event === 'stopped' ? 1 : 0,
    )
    runLater(this.stmt.markSeen, eventId, createdAt)
    return { accept: true, charged: downCharge.tokens, claimed: upCharge.tokens, capped }
  }

  /**
   * Sends the read {@link apply} starts with ahead, with the caller's next
   * round trip (the relay's recheck of the stored announce), on PostgreSQL.
   */
  readAhead(input: Omit<VerifiedAnnounce, 'createdAt'>): void {
    readAhead(this.stmt.inputs, ...inputsParams(input))
    // The charge's posting read too, unless nothing was ever downloaded in
    // this session, when there is no delta to charge.
    if (input.announce.downloaded > 0n) {
      this.escrow.readAheadFund(input.announce.infoHash, input.pubkey, announceRef(input.eventId))
    }
  }

  /**
   * The scope keys of an announce's accounting (scoped in store/database.ts):
   * the rows whose values decide what it writes. Those are the announcer's:
   * state, carries, spending, seen ids, balance, and postings (the event is
   * the announcer's). The swarm's escrow balance is only added to (the
   * journal adds rather than sets), and its lots and claims are only
   * appended, so two announces in one swarm do not depend on each other,
   * unless the price counts the swarm's peers (`countsPeers`, the rarity
   * rule): then the swarm is a key too.
   */
  static touches(pubkey: string, infoHash: string, countsPeers: boolean): string[] {
    const keys = [scopeKey.user(pubkey)]
    if (countsPeers) keys.push(scopeKey.swarm(infoHash))
    return keys
  }

  /**
   * Seeders and leechers among distinct pubkeys whose last live announce is
   * within the peer TTL. A pubkey seeding in any session counts as a seeder.
   */
  swarmStats(infoHash: string, now: number): SwarmStats {
    if (!HEX40.test(infoHash)) {
      throw new LedgerError('invalid_input', 'info hash must be 40 lowercase hex chars')
    }
    const rows = this.stmt.peers.all(infoHash, now - this.limits.peerTtlSeconds) as bigint[]
    let seeders = 0
    for (const seeding of rows) if (seeding === 1n) seeders++
    return { seeders, leechers: rows.length - seeders }
  }

  /**
   * Forgets what can no longer matter: event ids and stop markers older than
   * the `created_at` window (such events are refused anyway), and session
   * state unseen for the retention period. Carries are kept.
   */
  prune(now: number): { states: number; seen: number } {
    const windowFloor = now - this.limits.maxPastSeconds
    const states =
      this.stmt.pruneTombstones.run(windowFloor).changes +
      this.stmt.pruneStates.run(now - this.limits.stateRetentionSeconds).changes
    const seen = this.stmt.pruneSeen.run(windowFloor).changes
    return { states, seen }
  }

  /**
   * Seconds this announce may account for: since the session's last announce,
   * else since the pair's latest announce in any session, else the
   * first-announce allowance. At least 1.
   */
  private elapsed(
    createdAt: number,
    state: StateRow | undefined,
    lastForPair: bigint | null,
  ): number {
    const since = state?.created_at ?? lastForPair
    const elapsed = since === null ? this.limits.firstAnnounceSeconds : createdAt - Number(since)
    return elapsed < 1 ? 1 : elapsed
  }
}

/** The journal reference of an announce's charge, which makes it once only. */
function announceRef(eventId: string): string {
  return `announce:${eventId}`
}

/** The parameters of the inputs query, in its order. */
function inputsParams(input: Omit<VerifiedAnnounce, 'createdAt'>): string[] {
  const { pubkey, eventId, announce } = input
  const ih = announce.infoHash
  const session = announce.session ?? ''
  return [eventId, pubkey, ih, pubkey, ih, pubkey, ih, pubkey, pubkey, pubkey, pubkey, ih, session]
}

/** The session's state from the inputs row, undefined when it has none. */
function stateOf(row: InputsRow): StateRow | undefined {
  const { uploaded, downloaded, left_bytes, created_at, stopped } = row
  if (uploaded === null || downloaded === null || left_bytes === null) return undefined
  if (created_at === null || stopped === null) return undefined
  return { uploaded, downloaded, left_bytes, created_at, stopped }
}

function noChange(message: string): AnnounceOutcome {
  return { accept: true, message, charged: 0n, claimed: 0n, capped: false }
}

function blocked(need: bigint, have: bigint): AnnounceOutcome {
  return {
    accept: false,
    message: `blocked: insufficient balance: need ${need} TSEED, have ${have}`,
  }
}

/** The reason an announce is invalid (without the `invalid: ` prefix), or undefined. */
function checkInput(input: VerifiedAnnounce, now: number, limits: AnnounceLimits) {
  if (!Number.isSafeInteger(now)) throw new LedgerError('invalid_input', 'now must be unix seconds')
  const a = input.announce
  if (!HEX64.test(input.pubkey)) return 'pubkey must be 64 lowercase hex chars'
  if (!HEX64.test(input.eventId)) return 'event id must be 64 lowercase hex chars'
  if (!Number.isSafeInteger(input.createdAt)) return 'created_at must be unix seconds'
  if (input.createdAt < now - limits.maxPastSeconds) {
    return `created_at is more than ${limits.maxPastSeconds} s in the past`
  }
  if (input.createdAt > now + limits.maxFutureSeconds) {
    return `created_at is more than ${limits.maxFutureSeconds} s in the future`
  }
  if (!HEX40.test(a.infoHash)) return 'i must be 40 lowercase hex chars'
  for (const [name, v] of [
    ['uploaded', a.uploaded],
    ['downloaded', a.downloaded],
    ['left', a.left],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_COUNTER) return `${name} out of range`
  }
  if (a.session !== undefined && !HEX32.test(a.session)) return 'session must be 32 hex chars'
  return undefined
}

/** Throws a LedgerError naming the first invalid limit. */
export function checkLimits(l: AnnounceLimits): void {
  for (const key of [
    'maxPastSeconds',
    'maxFutureSeconds',
    'firstAnnounceSeconds',
    'peerTtlSeconds',
    'stateRetentionSeconds',
  ] as const) {
    if (!Number.isSafeInteger(l[key]) || l[key] < 0) {
      throw new LedgerError('invalid_input', `${key} must be a non-negative integer`)
    }
  }
  if (typeof l.maxBytesPerSecond !== 'bigint' || l.maxBytesPerSecond < 1n) {
    throw new LedgerError('invalid_input', 'maxBytesPerSecond must be a bigint ≥ 1')
  }
  if (l.stateRetentionSeconds < l.maxPastSeconds) {
    throw new LedgerError('invalid_input', 'stateRetentionSeconds must be ≥ maxPastSeconds')
  }
}
