import { formatBytes } from '../../popup/format'
import type { CostEstimate, HoldReason } from './hold'

/** One reason in plain words, for the prompt and the notification. */
export function describeHoldReason(r: HoldReason): string {
  switch (r.kind) {
    case 'new-site':
      return 'You have not allowed this site to publish announces yet.'
    case 'over-budget':
      return `This would take the site past its budget: ${r.spent} of ${r.budget} TSEED spent in the last 24 hours.`
    case 'above-confirm':
      return `It costs more than ${r.threshold} TSEED, the most you allow without asking.`
    case 'too-fast':
      return `It reports ${formatBytes(r.bytes)} downloaded in ${r.seconds} s, faster than your ${r.lineMbps} Mbit/s line.`
    case 'started-with-download':
      return 'It says the download just started, yet reports bytes already downloaded.'
  }
}

/** "about 900 TSEED", or "nothing" for a seeding announce. */
export function describeCost(e: CostEstimate): string {
  if (e.tokens === '0') return 'nothing'
  return `${e.exact ? '' : 'about '}${e.tokens} TSEED`
}

/** The notification raised when an announce is held. */
export function heldNotification(
  site: string,
  reasons: readonly HoldReason[],
  estimate: CostEstimate,
): {
  title: string
  message: string
} {
  const newSite = reasons.some((r) => r.kind === 'new-site')
  const title = newSite ? `Allow ${site} to use TSEED?` : `${site}: confirm a TSEED announce`
  const first = reasons.find((r) => r.kind !== 'new-site')
  const cost = `Publishing its announce costs ${describeCost(estimate)}.`
  return {
    title,
    message: `${cost}${first === undefined ? '' : ` ${describeHoldReason(first)}`} Open TSEED to decide.`,
  }
}
