/** A route was called with parameters of the wrong shape. */
export class RouteParamsError extends Error {
  override name = 'RouteParamsError'
}

/** The single parameter object of a route; anything else is refused. */
export function objectParam(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null)
    throw new RouteParamsError('parameters missing')
  return params as Record<string, unknown>
}

/** A string parameter of at most 1,000 characters. */
export function stringParam(params: unknown, name: string): string {
  const v = objectParam(params)[name]
  if (typeof v !== 'string') throw new RouteParamsError(`${name} must be a string`)
  if (v.length > 1_000) throw new RouteParamsError(`${name} is too long`)
  return v
}

/** An amount of sats or TSEED as typed: a whole number, at least 1. */
export function wholeParam(params: unknown, name: string): bigint {
  const text = stringParam(params, name).trim()
  if (!/^[0-9]{1,15}$/.test(text) || BigInt(text) === 0n) {
    throw new RouteParamsError('Enter a whole number, at least 1')
  }
  return BigInt(text)
}
