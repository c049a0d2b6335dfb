/**
 * The caller's spending limits (docs/relay-api.md): the most TSEED its
 * announces may be charged per hour and per day. A signer that approves
 * every announce a page makes up cannot then drain the account: the relay
 * refuses the charge (`blocked: spending limit: …`).
 */
import type { SpendingStatus } from '../ledger/spending-limits'
import type { ApiHandler, ApiReply } from './context'
import { ApiError } from './errors'
import { amountValue, onlyFields, type JsonObject } from './json'

/** `GET /api/v1/limits`: the caller's limits and what its announces were charged in each window. */
export const getLimits: ApiHandler = (s, req): ApiReply => ({
  body: limitsJson(req.pubkey, s.ledger.spendingLimits(req.pubkey, s.now())),
})

/**
 * `POST /api/v1/limits {per_hour, per_day}`: a decimal string sets a limit
 * ("0" refuses every charge), null clears it. Both fields are required, so a
 * client never clears or keeps a limit by leaving a field out.
 */
export const postLimits: ApiHandler = (s, req): ApiReply => {
  onlyFields(req.body, ['per_hour', 'per_day'])
  const perHour = limitField(req.body, 'per_hour')
  const perDay = limitField(req.body, 'per_day')
  s.ledger.setSpendingLimits(req.pubkey, { perHour, perDay })
  return { body: limitsJson(req.pubkey, s.ledger.spendingLimits(req.pubkey, s.now())) }
}

function limitField(body: JsonObject, name: string): bigint | null {
  if (!(name in body) || body[name] === undefined) {
    throw new ApiError(
      400,
      'missing_field',
      `${name} is required: a decimal string such as "1000", or null for no limit`,
    )
  }
  const v = body[name]
  return v === null ? null : amountValue(v, name)
}

function limitsJson(pubkey: string, st: SpendingStatus): Record<string, unknown> {
  return {
    pubkey,
    per_hour: st.perHour === null ? null : st.perHour.toString(),
    per_day: st.perDay === null ? null : st.perDay.toString(),
    charged_last_hour: st.chargedLastHour.toString(),
    charged_last_day: st.chargedLastDay.toString(),
  }
}
