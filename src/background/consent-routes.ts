import type { Consent } from './consent/consent'
import { HELD_CHOICES, type HeldChoice } from './consent/held-announces'
import { canonicalOrigin } from './consent/site-decisions'
import { parseLineMbps, parseTokens, type SpendingSettings } from './consent/spending-settings'
import type { SiteView, SpendingView } from './messages'
import { objectParam, RouteParamsError, stringParam } from './route-params'

export interface ConsentRouteDeps {
  ready: Promise<unknown>
  consent: Pick<Consent, 'decisions' | 'spending' | 'spendLog' | 'held'>
  now: () => number
}

/** Every decided site with its budget and what it spent in the last 24 hours. */
export async function siteViews(d: ConsentRouteDeps): Promise<SiteView[]> {
  const [rules, defaults, spent] = await Promise.all([
    d.consent.decisions.list(),
    d.consent.spending.get(),
    d.consent.spendLog.totals(d.now()),
  ])
  return rules.map(([origin, rule]) => ({
    origin,
    decision: rule.decision,
    decidedAt: rule.decidedAt,
    dailyBudget: (rule.dailyBudget ?? defaults.dailyBudget).toString(),
    customBudget: rule.dailyBudget !== undefined,
    spentToday: (spent.get(origin) ?? 0n).toString(),
    replace: rule.replace === true,
  }))
}

export function spendingView(s: SpendingSettings): SpendingView {
  return {
    dailyBudget: s.dailyBudget.toString(),
    confirmAbove: s.confirmAbove.toString(),
    lineMbps: s.lineMbps,
  }
}

/** The user's answers to held announces, and the per-site decisions and budgets. */
export function createConsentRoutes(d: ConsentRouteDeps) {
  return {
    /** The user's answer on the consent prompt. */
    async decideHeld(params: { id: number; choice: HeldChoice }) {
      await d.ready
      const p = objectParam(params)
      if (typeof p.id !== 'number' || !Number.isSafeInteger(p.id)) {
        throw new RouteParamsError('id must be an announce id')
      }
      const choice = p.choice as HeldChoice
      if (!HELD_CHOICES.includes(choice)) throw new RouteParamsError('unknown choice')
      return d.consent.held.decide(p.id, choice)
    },

    /** Allows or blocks a site from settings, or forgets the decision (`ask`). */
    async setSiteDecision(params: { origin: string; decision: 'allow' | 'block' | 'ask' }) {
      await d.ready
      const origin = canonicalOrigin(stringParam(params, 'origin'))
      const decision = stringParam(params, 'decision')
      if (decision === 'ask') await d.consent.decisions.forget(origin)
      else if (decision === 'allow' || decision === 'block') {
        await d.consent.decisions.decide(origin, decision, d.now())
      } else throw new RouteParamsError('decision must be allow, block or ask')
      return d.consent.held.reconsider(origin)
    },

    /** A site's own daily budget in TSEED; an empty string restores the default. */
    async setSiteBudget(params: { origin: string; dailyBudget: string }) {
      await d.ready
      const origin = canonicalOrigin(stringParam(params, 'origin'))
      const text = stringParam(params, 'dailyBudget').trim()
      await d.consent.decisions.setBudget(
        origin,
        text === '' ? null : parseTokens(text, 'The budget'),
      )
      return d.consent.held.reconsider(origin)
    },

    /** Replace mode for an allowed site: its tracker announces get peers from the TSEED relays. */
    async setSiteReplace(params: { origin: string; replace: boolean }) {
      await d.ready
      const origin = canonicalOrigin(stringParam(params, 'origin'))
      const on = objectParam(params).replace
      if (typeof on !== 'boolean') throw new RouteParamsError('replace must be true or false')
      await d.consent.decisions.setReplace(origin, on)
      return { origin, replace: on }
    },

    /** The defaults every site gets. */
    async setSpending(params: { dailyBudget: string; confirmAbove: string; lineMbps: string }) {
      const next: SpendingSettings = {
        dailyBudget: parseTokens(stringParam(params, 'dailyBudget'), 'The daily budget'),
        confirmAbove: parseTokens(
          stringParam(params, 'confirmAbove'),
          'The confirmation threshold',
        ),
        lineMbps: parseLineMbps(stringParam(params, 'lineMbps')),
      }
      await d.consent.spending.set(next)
      return spendingView(next)
    },
  }
}
