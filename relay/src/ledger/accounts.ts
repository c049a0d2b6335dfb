/**
 * Ledger account names (docs/ledger.md, "Accounts"). Every account is a URI so
 * that it can appear as a WebLedger entry `url`. Only the `urn:external:*`
 * contra accounts may go negative: they stand for value outside the ledger.
 */
import { LedgerError } from './errors'

/** The constant-product pool; its TSEED and sat balances are the reserves. */
export const POOL_ACCOUNT = 'urn:pool:TSEED:satoshi'
/** Where the operator's cut of escrow payouts accrues. */
export const FEE_ACCOUNT = 'urn:operator:fees'
/** Sats taken from users for Lightning payments still in flight. */
export const PENDING_WITHDRAWALS = 'urn:withdrawals:pending'

/** Contra accounts for value entering or leaving the ledger. */
export const EXTERNAL = {
  /** Sats paid in and out over Lightning. */
  lightning: 'urn:external:lightning',
  /** The one-time TSEED supply created when the pool is bootstrapped. */
  genesis: 'urn:external:genesis',
  /** Sats the operator puts into the pool from its own funds. */
  operator: 'urn:external:operator',
  /** Balances brought in from a WebLedger document. */
  import: 'urn:external:import',
} as const

const HEX64 = /^[0-9a-f]{64}$/
const HEX40 = /^[0-9a-f]{40}$/
const USER_PREFIX = 'did:nostr:'
const SWARM_PREFIX = 'urn:swarm:'
const FIXED = new Set<string>([POOL_ACCOUNT, FEE_ACCOUNT, PENDING_WITHDRAWALS])
const EXTERNALS = new Set<string>(Object.values(EXTERNAL))

/** `did:nostr:<pubkey>`; throws unless the pubkey is 64 lowercase hex. */
export function userAccount(pubkey: string): string {
  if (!HEX64.test(pubkey)) {
    throw new LedgerError('invalid_account', 'pubkey must be 64 lowercase hex chars')
  }
  return USER_PREFIX + pubkey
}

/** `urn:swarm:<info hash>`, the escrow of one swarm; throws unless it is 40 lowercase hex. */
export function swarmAccount(infoHash: string): string {
  if (!HEX40.test(infoHash)) {
    throw new LedgerError('invalid_account', 'info hash must be 40 lowercase hex chars')
  }
  return SWARM_PREFIX + infoHash
}

/** The pubkey of a `did:nostr:` account, or undefined for any other account. */
export function pubkeyOf(account: string): string | undefined {
  if (!account.startsWith(USER_PREFIX)) return undefined
  const pk = account.slice(USER_PREFIX.length)
  return HEX64.test(pk) ? pk : undefined
}

/** True for the contra accounts, the only ones allowed below zero. */
export function isExternal(account: string): boolean {
  return EXTERNALS.has(account)
}

/** True for every account name the ledger knows; everything else is refused. */
export function isValidAccount(account: string): boolean {
  if (FIXED.has(account) || EXTERNALS.has(account)) return true
  if (account.startsWith(USER_PREFIX)) return HEX64.test(account.slice(USER_PREFIX.length))
  if (account.startsWith(SWARM_PREFIX)) return HEX40.test(account.slice(SWARM_PREFIX.length))
  return false
}

/** Throws a LedgerError `invalid_account` naming the account unless it is valid. */
export function assertAccount(account: string): void {
  if (typeof account !== 'string' || !isValidAccount(account)) {
    throw new LedgerError('invalid_account', `unknown account ${JSON.stringify(account)}`)
  }
}
