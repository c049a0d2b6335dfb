/**
 * Reading request input. Amounts travel as decimal strings: a JSON number
 * would be rounded by every JavaScript client above 2^53, so numbers are
 * refused outright rather than silently accepted.
 */
import { describeValue, parseAmount } from '../../../src/balance/currency'
import { MAX_AMOUNT } from '../../../src/balance/units'
import { ApiError } from './errors'

/** A parsed JSON object body. */
export type JsonObject = Readonly<Record<string, unknown>>

/** Parses a request body that must be one JSON object. Empty bodies are refused. */
export function parseJsonObject(body: Uint8Array): JsonObject {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body must be a JSON object')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_json', 'request body must be a JSON object')
  }
  return value as JsonObject
}

/** Refuses fields the endpoint does not know, so a misspelt `min_out` cannot be silently ignored. */
export function onlyFields(obj: JsonObject, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new ApiError(
        400,
        'unknown_field',
        `unknown field ${JSON.stringify(key)}; expected ${allowed.join(', ')}`,
      )
    }
  }
}

/**
 * A whole, non-negative amount given as a decimal string, at most 2^62.
 * @param min the smallest accepted value (1 for amounts that must be positive)
 */
export function amountValue(value: unknown, name: string, min = 0n): bigint {
  if (typeof value === 'number') {
    throw new ApiError(
      400,
      'invalid_amount',
      `${name} must be a decimal string such as "1000", not a JSON number`,
    )
  }
  if (typeof value !== 'string') {
    throw new ApiError(
      400,
      'invalid_amount',
      `${name} must be a decimal string, got ${describeValue(value)}`,
    )
  }
  const n = parseAmount(value, name)
  if (n < min) throw new ApiError(400, 'invalid_amount', `${name} must be at least ${min}`)
  if (n > MAX_AMOUNT) throw new ApiError(400, 'amount_out_of_range', `${name} must be at most 2^62`)
  return n
}

/** A required amount field of a body. */
export function requiredAmount(obj: JsonObject, name: string, min = 0n): bigint {
  if (!(name in obj) || obj[name] === undefined) {
    throw new ApiError(400, 'missing_field', `${name} is required`)
  }
  return amountValue(obj[name], name, min)
}

/** An optional amount field; absent or null gives undefined. */
export function optionalAmount(obj: JsonObject, name: string, min = 0n): bigint | undefined {
  const v = obj[name]
  return v === undefined || v === null ? undefined : amountValue(v, name, min)
}

/** A required string field. */
export function requiredString(obj: JsonObject, name: string, maxLength: number): string {
  const v = obj[name]
  if (v === undefined) throw new ApiError(400, 'missing_field', `${name} is required`)
  if (typeof v !== 'string' || v === '') {
    throw new ApiError(400, 'invalid_field', `${name} must be a non-empty string`)
  }
  if (v.length > maxLength) {
    throw new ApiError(400, 'invalid_field', `${name} is longer than ${maxLength} characters`)
  }
  return v
}

/** A query-string amount (`?amount_in=1000`). */
export function queryAmount(params: URLSearchParams, name: string, min = 0n): bigint | undefined {
  const all = params.getAll(name)
  if (all.length === 0) return undefined
  if (all.length > 1) throw new ApiError(400, 'invalid_query', `${name} is given more than once`)
  return amountValue(all[0], name, min)
}

/** A query-string integer in [min, max], or `fallback` when absent. */
export function queryInteger(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const v = params.get(name)
  if (v === null) return fallback
  const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError(400, 'invalid_query', `${name} must be an integer from ${min} to ${max}`)
  }
  return n
}
