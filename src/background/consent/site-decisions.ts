import { createSerialQueue, createStorageItem, type StorageAreaLike } from '../storage-item'

export type SiteDecision = 'allow' | 'block'

export interface SiteRule {
  decision: SiteDecision
  decidedAt: number
  /** This site's own daily budget in TSEED; absent: the default. */
  dailyBudget?: bigint
  /** Replace mode (docs/sites.md): its tracker announces get peers from the TSEED relays. */
  replace?: true
}

export const MAX_SITES = 1_000
const MAX_ORIGIN_LENGTH = 300

/** An origin the extension can key a decision by; the message is shown as is. */
export class SiteOriginError extends Error {
  override name = 'SiteOriginError'
}

/**
 * The canonical form of a page origin: `scheme://host[:port]` of an http(s)
 * page, the unit a user allows or blocks (the same rule browsers use for
 * permissions).
 *
 * @throws SiteOriginError
 */
export function canonicalOrigin(input: string): string {
  if (input.length > MAX_ORIGIN_LENGTH) throw new SiteOriginError('origin is too long')
  let u: URL
  try {
    u = new URL(input)
  } catch {
    throw new SiteOriginError(`not an origin: ${input.slice(0, 80)}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new SiteOriginError('only http and https sites can be decided')
  }
  return u.origin
}

export interface SiteDecisions {
  get(origin: string): Promise<SiteRule | undefined>
  /** Every decided site, most recent decision first. */
  list(): Promise<[origin: string, rule: SiteRule][]>
  decide(origin: string, decision: SiteDecision, at: number): Promise<void>
  /** Forgets the decision: the site's next announce asks again. */
  forget(origin: string): Promise<void>
  /** null restores the default budget. @throws SiteOriginError when the site is not decided */
  setBudget(origin: string, dailyBudget: bigint | null): Promise<void>
  /**
   * Turns replace mode on or off for an allowed site; blocking or forgetting
   * the site turns it off. @throws SiteOriginError when the site is not allowed
   */
  setReplace(origin: string, on: boolean): Promise<void>
  /** The sites in replace mode now: allowed, with the mode on. */
  replaceSites(): Promise<string[]>
}

type Stored = Record<
  string,
  { decision: SiteDecision; decidedAt: number; dailyBudget?: string; replace?: true }
>

/**
 * The user's per-site decisions, kept in `storage.local`. `onChange` runs
 * after every stored change, whoever made it (settings, the consent prompt,
 * a badge's "turn off"), so what depends on them, like replace mode, follows.
 */
export function createSiteDecisions(
  area: StorageAreaLike,
  onChange: () => void = () => undefined,
): SiteDecisions {
  const item = createStorageItem<Stored>(area, 'siteDecisions', {
    defaultValue: {},
    parse: parseStored,
  })
  const serial = createSerialQueue()
  const change = (fn: (s: Stored) => Stored): Promise<void> =>
    serial(async () => {
      await item.set(fn(await item.get()))
      onChange()
    })
  const toRule = (v: Stored[string]): SiteRule => {
    const rule: SiteRule = { decision: v.decision, decidedAt: v.decidedAt }
    if (v.dailyBudget !== undefined) rule.dailyBudget = BigInt(v.dailyBudget)
    if (v.replace === true) rule.replace = true
    return rule
  }
  return {
    async get(origin) {
      const v = (await item.get())[canonicalOrigin(origin)]
      return v === undefined ? undefined : toRule(v)
    },
    async list() {
      return Object.entries(await item.get())
        .sort(([, a], [, b]) => b.decidedAt - a.decidedAt)
        .map(([origin, v]) => [origin, toRule(v)])
    },
    decide: (origin, decision, at) =>
      change((s) => {
        const key = canonicalOrigin(origin)
        // Beyond the cap the oldest decisions go; those sites are simply asked about again.
        const kept = Object.entries(s)
          .filter(([k]) => k !== key)
          .sort(([, a], [, b]) => a.decidedAt - b.decidedAt)
          .slice(-(MAX_SITES - 1))
        const next: Stored[string] = { ...s[key], decision, decidedAt: at }
        // A blocked site publishes nothing, so it cannot be in replace mode either.
        if (decision === 'block') delete next.replace
        kept.push([key, next])
        return Object.fromEntries(kept)
      }),
    forget: (origin) => {
      const key = canonicalOrigin(origin)
      return change((s) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== key)))
    },
    setBudget: (origin, dailyBudget) =>
      change((s) => {
        origin = canonicalOrigin(origin)
        const v = s[origin]
        if (v === undefined)
          throw new SiteOriginError(`${origin} has no decision to set a budget on`)
        const next: Stored[string] = { decision: v.decision, decidedAt: v.decidedAt }
        if (dailyBudget !== null) next.dailyBudget = dailyBudget.toString()
        if (v.replace === true) next.replace = true
        return { ...s, [origin]: next }
      }),
    setReplace: (origin, on) =>
      change((s) => {
        origin = canonicalOrigin(origin)
        const v = s[origin]
        if (v?.decision !== 'allow') {
          throw new SiteOriginError(`${origin} is not an allowed site; allow it first`)
        }
        const next: Stored[string] = { ...v }
        if (on) next.replace = true
        else delete next.replace
        return { ...s, [origin]: next }
      }),
    async replaceSites() {
      return Object.entries(await item.get())
        .filter(([, v]) => v.decision === 'allow' && v.replace === true)
        .map(([origin]) => origin)
    },
  }
}

const AMOUNT = /^[0-9]{1,19}$/

function parseStored(raw: unknown): Stored | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const out: Stored = {}
  for (const [origin, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue
    const r = v as Record<string, unknown>
    if (r.decision !== 'allow' && r.decision !== 'block') continue
    if (typeof r.decidedAt !== 'number') continue
    const entry: Stored[string] = { decision: r.decision, decidedAt: r.decidedAt }
    if (typeof r.dailyBudget === 'string' && AMOUNT.test(r.dailyBudget)) {
      entry.dailyBudget = r.dailyBudget
    }
    // Stored before replace mode existed: absent means off, which is the default.
    if (r.replace === true && r.decision === 'allow') entry.replace = true
    out[origin] = entry
  }
  return out
}
