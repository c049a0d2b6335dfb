/**
 * The caller's own account: balances, history and swaps. Every handler here
 * runs after NIP-98 authentication, on the authenticated pubkey only.
 */
import { AmmError, isSwapSide, quoteSwap, type Pool } from '../../../src/balance/amm'
import { userAccount } from '../ledger/accounts'
import type { Posting } from '../ledger/journal'
import { pair, type ApiHandler, type ApiReply } from './context'
import { ApiError } from './errors'
import { onlyFields, queryInteger, requiredAmount } from './json'

const CLIENT_REF = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * `GET /api/v1/balance`: TSEED and sats, and what the TSEED would fetch if
 * sold to the pool now (fee and price impact included; null without a pool).
 */
export const getBalance: ApiHandler = (s, req): ApiReply => {
  const b = s.ledger.balances(req.pubkey)
  const pool = s.ledger.pool()
  return {
    body: {
      pubkey: req.pubkey,
      balances: pair(b.TSEED, b.sat),
      tseed_value_sat: pool === null ? null : saleValue(pool, b.TSEED).toString(),
    },
  }
}

/** `GET /api/v1/history?limit=N`: the caller's postings, newest first (1 to 1000, default 50). */
export const getHistory: ApiHandler = (s, req): ApiReply => {
  const limit = queryInteger(req.url.searchParams, 'limit', 1, 1000, 50)
  const account = userAccount(req.pubkey)
  const entries = s.ledger.history(req.pubkey, limit).map((p) => historyEntry(p, account))
  return { body: { pubkey: req.pubkey, entries } }
}

/**
 * `POST /api/v1/swap {side, amount_in, min_out, ref?}`. `min_out` is required
 * ("0" accepts any price): a swap without slippage protection is a gift to
 * whoever trades first. `ref` makes a retry safe; without it, each request is
 * its own swap.
 */
export const postSwap: ApiHandler = (s, req): ApiReply => {
  const body = req.body
  onlyFields(body, ['side', 'amount_in', 'min_out', 'ref'])
  const side = body.side
  if (!isSwapSide(side)) {
    throw new ApiError(400, 'invalid_field', 'side must be sat_to_tseed or tseed_to_sat')
  }
  const amountIn = requiredAmount(body, 'amount_in', 1n)
  const minOut = requiredAmount(body, 'min_out')
  let ref = `nip98:${req.authId}`
  if (body.ref !== undefined) {
    if (typeof body.ref !== 'string' || !CLIENT_REF.test(body.ref)) {
      throw new ApiError(400, 'invalid_field', 'ref must be 1 to 64 of A-Z a-z 0-9 . _ : -')
    }
    ref = `api:${req.pubkey}:${body.ref}`
  }
  const r = s.ledger.swap(req.pubkey, side, amountIn, minOut, ref)
  const b = s.ledger.balances(req.pubkey)
  return {
    body: {
      side,
      amount_in: r.amountIn.toString(),
      amount_out: r.amountOut.toString(),
      replayed: r.replayed,
      pool: pair(r.pool.tseed, r.pool.sat),
      balances: pair(b.TSEED, b.sat),
    },
  }
}

/** Sats the pool would pay for `tseed` now; 0 for nothing or for dust that buys less than a sat. */
function saleValue(pool: Pool, tseed: bigint): bigint {
  if (tseed === 0n) return 0n
  try {
    return quoteSwap(pool, 'tseed_to_sat', tseed).amountOut
  } catch (err) {
    if (err instanceof AmmError && err.code === 'ZERO_OUTPUT') return 0n
    throw err
  }
}

function historyEntry(p: Posting, account: string): Record<string, unknown> {
  let tseed = 0n
  let sat = 0n
  for (const l of p.lines) {
    if (l.account !== account) continue
    if (l.currency === 'TSEED') tseed += l.amount
    else sat += l.amount
  }
  return {
    id: p.id,
    kind: p.kind,
    ref: p.ref,
    at: p.at,
    memo: p.memo,
    change: pair(tseed, sat),
    lines: p.lines.map((l) => ({
      account: l.account,
      currency: l.currency,
      amount: l.amount.toString(),
    })),
  }
}
