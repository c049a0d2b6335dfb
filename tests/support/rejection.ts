import { expect } from 'vitest'

/**
 * The error `p` rejected with, after checking that it is a `type`. Fails the
 * test when `p` resolves.
 *
 * @example
 * const err = await rejectionOf(api.balance(), TseedApiError)
 * expect(err.code).toBe('unauthorized')
 */
export async function rejectionOf<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(type)
    return err as E
  }
  throw new Error(`expected a rejection with ${type.name}`)
}
