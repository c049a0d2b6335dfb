import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { TseedApiError, type Deposit, type TseedApiClient } from '../../balance/api-client'
import { Bolt11Error, decodeInvoice, isInvoiceExpired } from '../../balance/bolt11'
import { NwcError, type Nip47Requester } from '../../nostr/nwc-client'
import { explainApiError, WalletError } from './wallet-error'

/**
 * Top-up: a Lightning deposit on a TSEED relay, swapped to TSEED on arrival
 * (docs/relay-api.md, `POST /deposit`), paid by the user's own wallet over
 * NWC or by hand, then watched until the relay credits it.
 */

export interface StartedTopUp {
  paymentHash: string
  invoice: string
  amountSat: bigint
  /** The least TSEED the relay may swap the sats for; else they stay as sats. */
  minOut: bigint
  /** Unix seconds. */
  expiresAt: number
  testMode: boolean
}

/** Asks the relay for a deposit invoice; rejects with a {@link WalletError}. */
export async function startTopUp(p: {
  api: TseedApiClient
  amountSat: bigint
  minOut: bigint
}): Promise<StartedTopUp> {
  if (p.amountSat <= 0n) throw new WalletError('bad_input', 'Enter an amount of at least 1 sat.')
  if (p.minOut < 0n) throw new WalletError('bad_input', 'The minimum TSEED cannot be negative.')
  let d: Deposit
  try {
    d = await p.api.createDeposit({ amountSat: p.amountSat, swapMinOut: p.minOut })
  } catch (e) {
    throw explainApiError(e, 'create a top-up invoice')
  }
  return {
    paymentHash: d.paymentHash,
    invoice: d.invoice,
    amountSat: d.amountSat,
    minOut: p.minOut,
    expiresAt: d.expiresAt,
    testMode: d.testMode,
  }
}

export interface NwcPayment {
  /** Hex; null when the wallet did not return one that matches the invoice. */
  preimage: string | null
  feesPaidMsat: bigint | null
}

/**
 * Pays `invoice` with the user's wallet (NIP-47 `pay_invoice`). A timeout
 * is not a failure: the wallet may still be paying, so the caller keeps
 * watching the deposit instead of offering to pay again.
 */
export async function payWithNwc(
  invoice: string,
  nwc: Pick<Nip47Requester, 'request'>,
  opts: { timeoutMs?: number; nowSeconds?: () => number } = {},
): Promise<NwcPayment> {
  const paymentHash = payableHash(invoice, opts.nowSeconds)
  let result: Record<string, unknown>
  try {
    result = await nwc.request(
      'pay_invoice',
      { invoice },
      opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {},
    )
  } catch (e) {
    throw explainNwcError(e)
  }
  const preimage = matchingPreimage(result.preimage, paymentHash)
  const fees = result.fees_paid
  return {
    preimage,
    feesPaidMsat:
      typeof fees === 'number' && Number.isSafeInteger(fees) && fees >= 0 ? BigInt(fees) : null,
  }
}

/**
 * The payment hash of an invoice the user may pay now.
 *
 * @throws WalletError `bad_invoice` or `expired`
 */
export function payableHash(invoice: string, nowSeconds?: () => number): string {
  try {
    const decoded = decodeInvoice(invoice)
    const now = nowSeconds?.() ?? Math.floor(Date.now() / 1000)
    if (isInvoiceExpired(decoded, now)) {
      throw new WalletError('expired', 'This invoice has expired; start the top-up again.')
    }
    return decoded.paymentHash
  } catch (e) {
    if (e instanceof Bolt11Error) {
      throw new WalletError('bad_invoice', `This is not a valid invoice: ${e.message}.`)
    }
    throw e
  }
}

/** A wallet's preimage (lower-case hex) when it proves `paymentHash`; null for anything else. */
export function matchingPreimage(raw: unknown, paymentHash: string): string | null {
  return typeof raw === 'string' &&
    /^[0-9a-f]{64}$/i.test(raw) &&
    bytesToHex(sha256(hexToBytes(raw))) === paymentHash
    ? raw.toLowerCase()
    : null
}

function explainNwcError(e: unknown): WalletError {
  if (!(e instanceof NwcError)) {
    return new WalletError('wallet', `Your wallet could not pay: ${String(e)}`, { cause: e })
  }
  switch (e.failure) {
    case 'timeout':
      return new WalletError(
        'wallet_timeout',
        'Your wallet did not answer in time. The payment may still go through; keep this open to see it arrive.',
        { cause: e },
      )
    case 'unavailable':
      return new WalletError('wallet', `Could not reach your wallet: ${e.message}.`, { cause: e })
    case 'protocol':
      return new WalletError('wallet', `Your wallet gave an answer we cannot read: ${e.message}.`, {
        cause: e,
      })
    case 'wallet':
      if (e.walletCode === 'INSUFFICIENT_BALANCE' || e.walletCode === 'QUOTA_EXCEEDED') {
        return new WalletError(
          'wallet',
          'Your wallet does not have enough sats (or its budget for this connection is used up).',
          { cause: e },
        )
      }
      return new WalletError('wallet', `Your wallet refused the payment: ${e.message}.`, {
        cause: e,
      })
  }
}

export type DepositOutcome =
  | {
      kind: 'credited'
      deposit: Deposit
      creditedSat: bigint
      /** TSEED the sats were swapped for; null when no swap was asked. */
      tseed: bigint | null
    }
  /** Paid and credited as sats, but the swap missed its minimum: the sats stay on the relay. */
  | { kind: 'swap_failed'; deposit: Deposit; creditedSat: bigint; message: string }
  | { kind: 'expired'; deposit: Deposit; message: string }
  | { kind: 'failed'; deposit: Deposit; message: string }

export type DepositProgress =
  | { kind: 'pending'; deposit: Deposit; attempt: number }
  | { kind: 'rate_limited'; attempt: number; retryInMs: number; message: string }
  | { kind: 'relay_error'; attempt: number; retryInMs: number; message: string }

export interface WaitOptions {
  onProgress?: (p: DepositProgress) => void
  signal?: AbortSignal
  /** Default 2 s. */
  pollMs?: number
  /** Longest wait between polls while backing off. Default 30 s. */
  maxBackoffMs?: number
}

/**
 * Polls `GET /deposit/<hash>` until the deposit is credited, expired or
 * failed. 429s and transient relay errors (network, 5xx) back off,
 * doubling up to `maxBackoffMs`; anything the relay will answer the same
 * way again (404, 401…) ends the wait with a {@link WalletError}.
 */
export async function waitForDeposit(
  api: TseedApiClient,
  paymentHash: string,
  opts: WaitOptions = {},
): Promise<DepositOutcome> {
  const pollMs = opts.pollMs ?? 2_000
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000
  let backoff = pollMs
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw aborted()
    let d: Deposit
    try {
      d = await api.deposit(paymentHash)
    } catch (e) {
      if (opts.signal?.aborted) throw aborted()
      const retry = retryable(e)
      if (retry === null) throw explainApiError(e, 'check the top-up')
      backoff = Math.min(backoff * 2, maxBackoffMs)
      opts.onProgress?.({
        kind: retry,
        attempt,
        retryInMs: backoff,
        message:
          retry === 'rate_limited'
            ? 'The relay asked us to slow down; checking again shortly.'
            : `The relay did not answer (${(e as Error).message}); checking again shortly.`,
      })
      await sleep(backoff, opts.signal)
      continue
    }
    backoff = pollMs
    const outcome = settled(d)
    if (outcome !== null) return outcome
    opts.onProgress?.({ kind: 'pending', deposit: d, attempt })
    await sleep(pollMs, opts.signal)
  }
}

function settled(d: Deposit): DepositOutcome | null {
  switch (d.state) {
    case 'pending':
      return null
    case 'expired':
      return {
        kind: 'expired',
        deposit: d,
        message: 'The invoice expired before it was paid. Nothing was charged; start a new top-up.',
      }
    case 'failed':
      return {
        kind: 'failed',
        deposit: d,
        message: 'The relay reports that this payment failed. Nothing was credited.',
      }
    case 'credited': {
      const creditedSat = d.creditedSat ?? d.amountSat
      // `requested` cannot outlive the credit (it runs in the same transaction); treat it as not done.
      if (d.swap !== null && d.swap.state !== 'done') {
        return {
          kind: 'swap_failed',
          deposit: d,
          creditedSat,
          message:
            `Your ${creditedSat} sats arrived, but the price moved past your minimum, so they were not swapped and stay as sats on the relay` +
            (d.swap.message !== undefined ? ` (${d.swap.message})` : '') +
            '. You can swap them yourself.',
        }
      }
      return { kind: 'credited', deposit: d, creditedSat, tseed: d.swap?.amountOut ?? null }
    }
  }
}

function retryable(e: unknown): 'rate_limited' | 'relay_error' | null {
  if (!(e instanceof TseedApiError)) return 'relay_error'
  if (e.status === 429) return 'rate_limited'
  if (e.status >= 500 || e.code === 'bad_response') return 'relay_error'
  return null
}

function aborted(): WalletError {
  return new WalletError('aborted', 'Stopped watching the top-up.')
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted())
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(aborted())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
