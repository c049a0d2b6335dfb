/**
 * Swarm escrows (docs/ledger.md, "Escrow"). Downloads pay into
 * `urn:swarm:<info hash>`; uploads become claims on it; {@link Escrow.settle}
 * pays claims pro rata out of what downloaders actually paid and refunds what
 * nobody claimed in time. Nothing here creates TSEED.
 */
import { runLater, type SqlDatabase } from '../store/database'
import { FEE_ACCOUNT, swarmAccount, userAccount } from './accounts'
import { LedgerError } from './errors'
import type { Journal, PostingLine } from './journal'

export interface EscrowConfig {
  /** How long an upload claim may wait for escrow to pay it; then it lapses. */
  claimWindowSeconds: number
  /** How long a payment may sit unclaimed in escrow before it goes back to its payer. */
  refundAfterSeconds: number
  /** The operator's cut of each payout, in basis points (0 to 10000). */
  payoutFeeBps: bigint
}

export const DEFAULT_ESCROW: EscrowConfig = {
  claimWindowSeconds: 2 * 3600,
  refundAfterSeconds: 24 * 3600,
  payoutFeeBps: 0n,
}

export interface Payout {
  infoHash: string
  pubkey: string
  /** Taken out of escrow. */
  amount: bigint
  /** Of `amount`, what went to the operator; the uploader got `amount - fee`. */
  fee: bigint
}

export interface Refund {
  infoHash: string
  pubkey: string
  amount: bigint
}

export interface SettlementReport {
  payouts: Payout[]
  refunds: Refund[]
  /** Claims that lapsed unpaid (in whole or in part) in this run. */
  lapsedClaims: number
}

export interface EscrowMismatch {
  infoHash: string
  /** The swarm account's TSEED balance. */
  balance: bigint
  /** What the open payment lots say it should be. */
  lots: bigint
}

const LOT_BATCH = 64

interface LotRow {
  id: bigint
  remaining: bigint
}

interface ClaimRow {
  id: bigint
  pubkey: string
  remaining: bigint
}

/**
 * Escrow bookkeeping over the journal. Each payment into a swarm is a lot
 * (payer, amount, time); payouts consume lots oldest first, so every token in
 * escrow is traceable to the download that paid it. Methods must run inside
 * the caller's transaction; the ledger facade provides it.
 */
export class Escrow {
  private readonly journal: Journal
  private readonly db: SqlDatabase
  private readonly config: EscrowConfig
  private readonly stmt

  constructor(journal: Journal, config: EscrowConfig = DEFAULT_ESCROW) {
    checkEscrowConfig(config)
    this.journal = journal
    this.db = journal.db
    this.config = config
    const p = (sql: string) => this.db.prepare(sql).safeIntegers(true)
    this.stmt = {
      insertLot: p(
        `INSERT INTO ledger_escrow_lots (info_hash, payer, posting_id, amount, remaining, paid_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      oldestLots: p(
        `SELECT id, remaining FROM ledger_escrow_lots WHERE info_hash = ?
         ORDER BY paid_at, id LIMIT ${LOT_BATCH}`,
      ),
      setLot: p('UPDATE ledger_escrow_lots SET remaining = ? WHERE id = ?'),
      deleteLot: p('DELETE FROM ledger_escrow_lots WHERE id = ?'),
      expiredLots: p(
        `SELECT id, info_hash, payer, remaining FROM ledger_escrow_lots
         WHERE paid_at <= ? ORDER BY info_hash, payer, id`,
      ),
      allLots: p('SELECT info_hash, remaining FROM ledger_escrow_lots'),
      insertClaim: p(
        `INSERT INTO ledger_claims (info_hash, pubkey, event_id, amount, remaining, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      swarmsWithClaims: p(
        'SELECT DISTINCT info_hash FROM ledger_claims WHERE created_at > ? ORDER BY info_hash',
      ).pluck(),
      openClaims: p(
        `SELECT id, pubkey, remaining FROM ledger_claims
         WHERE info_hash = ? AND created_at > ? ORDER BY id`,
      ),
      setClaim: p('UPDATE ledger_claims SET remaining = ? WHERE id = ?'),
      deleteClaim: p('DELETE FROM ledger_claims WHERE id = ?'),
      lapseClaims: p('DELETE FROM ledger_claims WHERE created_at <= ?'),
      claimsOf: p(
        'SELECT remaining FROM ledger_claims WHERE info_hash = ? AND created_at > ?',
      ).pluck(),
      newSettlement: p('INSERT INTO ledger_settlements (at) VALUES (?) RETURNING id').pluck(),
    }
  }

  /**
   * Moves `amount` TSEED from the payer into the swarm's escrow and records
   * the lot. Throws InsufficientFunds (writing nothing) if the payer is short.
   * @returns the posting id
   */
  fund(infoHash: string, payer: string, amount: bigint, ref: string, at: number): number {
    positive(amount, 'escrow payment')
    const [from, to] = fundAccounts(infoHash, payer)
    const posting = this.journal.post({
      kind: 'download',
      ref,
      at,
      memo: infoHash,
      lines: [
        { ...from, amount: -amount },
        { ...to, amount },
      ],
    })
    runLater(this.stmt.insertLot, infoHash, payer, posting.id, amount, amount, at)
    return posting.id
  }

  /** Sends the read of {@link fund} with this `ref` ahead (see Journal.readAheadPost). */
  readAheadFund(infoHash: string, payer: string, ref: string): void {
    this.journal.readAheadPost(ref, fundAccounts(infoHash, payer))
  }

  /** Records an upload claim of `amount` TSEED on the swarm's escrow. */
  claim(infoHash: string, pubkey: string, eventId: string, amount: bigint, at: number): void {
    positive(amount, 'claim')
    swarmAccount(infoHash)
    userAccount(pubkey)
    runLater(this.stmt.insertClaim, infoHash, pubkey, eventId, amount, amount, at)
  }

  /**
   * Pays open claims out of each swarm's escrow, lapses claims older than the
   * claim window, and refunds payments older than the refund window.
   *
   * Distribution rule per swarm: with E in escrow and open claims c_i (sum C),
   * each claimant gets c_i when E ≥ C; otherwise ⌊E·c_i/C⌋, and the tokens
   * left by rounding go one each to the largest remainders (earliest claim
   * first on ties). Nobody ever gets more than they claimed.
   */
  settle(now: number): SettlementReport {
    if (!Number.isSafeInteger(now) || now < 0) {
      throw new LedgerError('invalid_input', 'now must be unix seconds')
    }
    const report: SettlementReport = { payouts: [], refunds: [], lapsedClaims: 0 }
    let settlementId: bigint | undefined
    const sid = () => (settlementId ??= this.stmt.newSettlement.get(now) as bigint)

    const claimFloor = now - this.config.claimWindowSeconds
    for (const infoHash of this.stmt.swarmsWithClaims.all(claimFloor) as string[]) {
      const escrow = this.journal.balance(swarmAccount(infoHash), 'TSEED')
      if (escrow <= 0n) continue
      const claims = this.stmt.openClaims.all(infoHash, claimFloor) as ClaimRow[]
      for (const share of distribute(escrow, claims)) {
        const payout = this.payOut(infoHash, share.pubkey, share.amount, now, sid())
        report.payouts.push(payout)
        this.consumeClaims(claims, share.pubkey, share.amount)
        this.consumeLots(infoHash, share.amount)
      }
    }
    report.lapsedClaims = this.stmt.lapseClaims.run(claimFloor).changes

    const refundFloor = now - this.config.refundAfterSeconds
    const expired = this.stmt.expiredLots.all(refundFloor) as (LotRow & {
      info_hash: string
      payer: string
    })[]
    let i = 0
    while (i < expired.length) {
      const first = expired[i]
      if (first === undefined) break
      let amount = 0n
      while (i < expired.length) {
        const lot = expired[i]
        if (lot === undefined || lot.info_hash !== first.info_hash || lot.payer !== first.payer) {
          break
        }
        amount += lot.remaining
        this.stmt.deleteLot.run(lot.id)
        i++
      }
      this.journal.post({
        kind: 'refund',
        ref: `refund:${sid()}:${first.info_hash}:${first.payer}`,
        at: now,
        memo: first.info_hash,
        lines: [
          { account: swarmAccount(first.info_hash), currency: 'TSEED', amount: -amount },
          { account: userAccount(first.payer), currency: 'TSEED', amount },
        ],
      })
      report.refunds.push({ infoHash: first.info_hash, pubkey: first.payer, amount })
    }
    return report
  }

  /** What a swarm's escrow holds and what open claims ask of it. */
  outstanding(infoHash: string, now: number): { escrow: bigint; claims: bigint } {
    const escrow = this.journal.balance(swarmAccount(infoHash), 'TSEED')
    const rows = this.stmt.claimsOf.all(infoHash, now - this.config.claimWindowSeconds) as bigint[]
    return { escrow, claims: rows.reduce((a, b) => a + b, 0n) }
  }

  /**
   * Swarm accounts whose balance differs from their open lots, or that hold
   * sats (escrow is TSEED only). Empty for a consistent ledger.
   */
  audit(): EscrowMismatch[] {
    const lots = new Map<string, bigint>()
    for (const row of this.stmt.allLots.iterate() as Iterable<{
      info_hash: string
      remaining: bigint
    }>) {
      lots.set(row.info_hash, (lots.get(row.info_hash) ?? 0n) + row.remaining)
    }
    const out: EscrowMismatch[] = []
    const seen = new Set<string>()
    for (const b of this.journal.cachedBalances()) {
      if (!b.account.startsWith('urn:swarm:')) continue
      const infoHash = b.account.slice('urn:swarm:'.length)
      const expected = b.currency === 'TSEED' ? (lots.get(infoHash) ?? 0n) : 0n
      if (b.currency === 'TSEED') seen.add(infoHash)
      if (b.amount !== expected) out.push({ infoHash, balance: b.amount, lots: expected })
    }
    for (const [infoHash, amount] of lots) {
      if (!seen.has(infoHash)) out.push({ infoHash, balance: 0n, lots: amount })
    }
    return out
  }

  private payOut(
    infoHash: string,
    pubkey: string,
    amount: bigint,
    now: number,
    settlementId: bigint,
  ): Payout {
    const fee = (amount * this.config.payoutFeeBps) / 10_000n
    const lines: PostingLine[] = [
      { account: swarmAccount(infoHash), currency: 'TSEED', amount: -amount },
    ]
    if (amount - fee > 0n) {
      lines.push({ account: userAccount(pubkey), currency: 'TSEED', amount: amount - fee })
    }
    if (fee > 0n) lines.push({ account: FEE_ACCOUNT, currency: 'TSEED', amount: fee })
    this.journal.post({
      kind: 'payout',
      ref: `payout:${settlementId}:${infoHash}:${pubkey}`,
      at: now,
      memo: infoHash,
      lines,
    })
    return { infoHash, pubkey, amount, fee }
  }

  /** Reduces a claimant's open claims, oldest first, by what was paid. */
  private consumeClaims(claims: ClaimRow[], pubkey: string, paid: bigint): void {
    let left = paid
    for (const c of claims) {
      if (left === 0n) return
      if (c.pubkey !== pubkey || c.remaining === 0n) continue
      const take = c.remaining < left ? c.remaining : left
      c.remaining -= take
      left -= take
      if (c.remaining === 0n) this.stmt.deleteClaim.run(c.id)
      else this.stmt.setClaim.run(c.remaining, c.id)
    }
    if (left !== 0n) throw new Error(`paid ${paid} to ${pubkey}, more than their open claims`)
  }

  /** Reduces the swarm's lots, oldest first, by what left the escrow. */
  private consumeLots(infoHash: string, paid: bigint): void {
    let left = paid
    // Batches, because a busy swarm can hold many lots and a payout usually needs few.
    while (left > 0n) {
      const batch = this.stmt.oldestLots.all(infoHash) as LotRow[]
      if (batch.length === 0) {
        throw new Error(`escrow of ${infoHash} paid ${paid}, more than its lots hold`)
      }
      for (const lot of batch) {
        const take = lot.remaining < left ? lot.remaining : left
        left -= take
        if (take === lot.remaining) this.stmt.deleteLot.run(lot.id)
        else this.stmt.setLot.run(lot.remaining - take, lot.id)
        if (left === 0n) return
      }
    }
  }
}

/** A payment into escrow moves TSEED from the payer's account to the swarm's, in this order. */
function fundAccounts(infoHash: string, payer: string) {
  return [
    { account: userAccount(payer), currency: 'TSEED' as const },
    { account: swarmAccount(infoHash), currency: 'TSEED' as const },
  ] as const
}

/**
 * Splits `escrow` among claimants (pro rata, largest remainder), aggregated
 * per pubkey in order of each pubkey's first open claim.
 */
export function distribute(
  escrow: bigint,
  claims: readonly { pubkey: string; remaining: bigint }[],
): { pubkey: string; amount: bigint }[] {
  const totals = new Map<string, bigint>()
  for (const c of claims) totals.set(c.pubkey, (totals.get(c.pubkey) ?? 0n) + c.remaining)
  const entries = [...totals].filter(([, c]) => c > 0n)
  const total = entries.reduce((a, [, c]) => a + c, 0n)
  if (total === 0n || escrow <= 0n) return []
  if (escrow >= total) return entries.map(([pubkey, amount]) => ({ pubkey, amount }))
  const shares = entries.map(([pubkey, c], order) => ({
    pubkey,
    amount: (escrow * c) / total,
    remainder: (escrow * c) % total,
    order,
  }))
  let left = escrow - shares.reduce((a, s) => a + s.amount, 0n)
  const byRemainder = [...shares].sort((a, b) =>
    a.remainder === b.remainder ? a.order - b.order : a.remainder > b.remainder ? -1 : 1,
  )
  // left < number of claimants, and a non-zero remainder means amount < claim.
  for (const s of byRemainder) {
    if (left === 0n) break
    s.amount += 1n
    left -= 1n
  }
  return shares.filter((s) => s.amount > 0n).map(({ pubkey, amount }) => ({ pubkey, amount }))
}

function positive(amount: bigint, what: string): void {
  if (typeof amount !== 'bigint' || amount <= 0n) {
    throw new LedgerError('invalid_input', `${what} must be a positive bigint`)
  }
}

/** Throws a LedgerError naming the first invalid field. */
export function checkEscrowConfig(c: EscrowConfig): void {
  for (const key of ['claimWindowSeconds', 'refundAfterSeconds'] as const) {
    if (!Number.isSafeInteger(c[key]) || c[key] < 1) {
      throw new LedgerError('invalid_input', `${key} must be a positive integer`)
    }
  }
  if (typeof c.payoutFeeBps !== 'bigint' || c.payoutFeeBps < 0n || c.payoutFeeBps > 10_000n) {
    throw new LedgerError('invalid_input', 'payoutFeeBps must be a bigint from 0 to 10000')
  }
}
