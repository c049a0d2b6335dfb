import { TseedApiError } from '../../balance/api-client'

/**
 * Why a wallet step failed, as a stable code for the popup to branch on; the
 * message is written for the user and never contains a secret.
 */
export type WalletErrorCode =
  | 'relay'
  | 'rate_limited'
  | 'not_a_tseed_relay'
  | 'pool_empty'
  | 'slippage'
  | 'insufficient_funds'
  | 'expired'
  | 'failed'
  | 'wallet'
  | 'wallet_timeout'
  | 'bad_invoice'
  | 'lnurl'
  | 'bad_input'
  | 'wrong_password'
  | 'aborted'

export class WalletError extends Error {
  override name = 'WalletError'
  constructor(
    readonly code: WalletErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * A relay's refusal in plain words. The relay's own message is kept at the
 * end: it carries the numbers (`would receive 500, min_out 600`).
 */
export function explainApiError(e: unknown, action: string): WalletError {
  if (e instanceof WalletError) return e
  if (!(e instanceof TseedApiError)) {
    const detail = e instanceof Error ? e.message : String(e)
    return new WalletError('relay', `Could not reach the relay to ${action}: ${detail}`, {
      cause: e,
    })
  }
  const said = e.message
  switch (e.code) {
    case 'rate_limited':
    case 'too_many_pending_deposits':
      return new WalletError(
        'rate_limited',
        `The relay asks us to slow down before we ${action}; try again shortly (${said}).`,
        { cause: e },
      )
    case 'pool_not_bootstrapped':
      return new WalletError(
        'pool_empty',
        `The relay's TSEED pool has no reserves yet, so it cannot ${action}.`,
        { cause: e },
      )
    case 'slippage':
      return new WalletError(
        'slippage',
        `The price moved past your slippage limit, so nothing was done (${said}).`,
        { cause: e },
      )
    case 'insufficient_funds':
      return new WalletError(
        'insufficient_funds',
        `Not enough ${e.currency ?? 'funds'} on this relay to ${action}` +
          (e.need !== undefined && e.have !== undefined
            ? `: it needs ${e.need}, you have ${e.have}.`
            : '.'),
        { cause: e },
      )
    case 'zero_output':
    case 'insufficient_liquidity':
    case 'invalid_amount':
    case 'amount_out_of_range':
      return new WalletError('bad_input', `That amount does not work: ${said}.`, { cause: e })
    case 'invalid_invoice':
      return new WalletError('bad_invoice', `The relay refused the invoice: ${said}.`, {
        cause: e,
      })
    default:
      return new WalletError('relay', `The relay could not ${action}: ${said}.`, { cause: e })
  }
}
