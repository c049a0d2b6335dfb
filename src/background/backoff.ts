export const RETRY_BASE_MS = 2_000
export const RETRY_CAP_MS = 60_000

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential
 * from {@link RETRY_BASE_MS}, capped at {@link RETRY_CAP_MS}, with ±20%
 * jitter so many queued announces do not hit a returning relay in lockstep.
 *
 * @param random a number in [0, 1)
 */
export function retryDelayMs(
  attempt: number,
  random: number,
  base = RETRY_BASE_MS,
  cap = RETRY_CAP_MS,
): number {
  const exp = base * 2 ** Math.min(Math.max(attempt, 1) - 1, 30)
  const jittered = Math.min(exp, cap) * (0.8 + 0.4 * random)
  return Math.round(Math.min(jittered, cap))
}
