import type { DnrLike, DnrRule } from '../replace/dnr-rules'

/**
 * `declarativeNetRequest` session rules as Chrome keeps them: ids must be
 * unique, a batch that adds a taken id fails as a whole, removing an unknown
 * id is fine. `match` applies the rules to a URL as Chrome would for the
 * filters replace mode writes.
 */
export function createFakeDnr(): DnrLike & {
  rules: Map<number, DnrRule>
  calls: number
  match(url: string, tabId: number): DnrRule | undefined
} {
  const rules = new Map<number, DnrRule>()
  const fake = {
    rules,
    calls: 0,
    updateSessionRules(o: { addRules?: DnrRule[]; removeRuleIds?: number[] }): Promise<void> {
      fake.calls++
      const next = new Map(rules)
      for (const id of o.removeRuleIds ?? []) next.delete(id)
      for (const r of o.addRules ?? []) {
        if (next.has(r.id)) return Promise.reject(new Error(`Rule with id ${r.id} already exists`))
        next.set(r.id, structuredClone(r))
      }
      rules.clear()
      for (const [k, v] of next) rules.set(k, v)
      return Promise.resolve()
    },
    getSessionRules: () => Promise.resolve([...rules.values()].map((r) => ({ id: r.id }))),
    match(url: string, tabId: number): DnrRule | undefined {
      return [...rules.values()].find(
        (r) => r.condition.tabIds.includes(tabId) && filterMatches(r.condition, url),
      )
    },
  }
  return fake
}

function filterMatches(c: DnrRule['condition'], url: string): boolean {
  if (c.regexFilter !== undefined) return new RegExp(c.regexFilter).test(url)
  const f = c.urlFilter ?? ''
  // `|` anchors the start, `*` is any run, `^` is a separator (not a letter, digit or `_-.%`) or the end.
  const body = f.startsWith('|') ? f.slice(1) : f
  const re = body
    .split('')
    .map((ch) =>
      ch === '*'
        ? '.*'
        : ch === '^'
          ? '(?:[^A-Za-z0-9_.%-]|$)'
          : ch.replace(/[.?+()[\]{}\\$/]/g, '\\$&'),
    )
    .join('')
  return new RegExp((f.startsWith('|') ? '^' : '') + re).test(url)
}
