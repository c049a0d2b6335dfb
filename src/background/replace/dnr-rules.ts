import { dataUrl, encodeAnnounceAnswer, encodeFailure } from '../../nostr/bep3-answer'
import type { FetchRelaySwarm } from './relay-swarm'
import type { ReplaceAnnounce, ReplacePlatform } from './platform-types'

/** The parts of `chrome.declarativeNetRequest` the rule manager uses. */
export interface DnrLike {
  updateSessionRules(options: { addRules?: DnrRule[]; removeRuleIds?: number[] }): Promise<void>
  getSessionRules(): Promise<{ id: number }[]>
}

export interface DnrRule {
  id: number
  priority: number
  action: { type: 'redirect'; redirect: { url: string } }
  condition: {
    urlFilter?: string
    regexFilter?: string
    isUrlFilterCaseSensitive: boolean
    tabIds: number[]
  }
}

/**
 * `interval` written into a replaced answer. The rule is refreshed well
 * before a client that obeys it announces again.
 */
export const REPLACED_INTERVAL_SECONDS = 60
export const REFRESH_MS = 30_000
/**
 * A rule whose announces stopped (the torrent was removed, the page went
 * quiet) is no longer refreshed after this; its next announce refreshes it.
 */
export const IDLE_MS = 2 * REPLACED_INTERVAL_SECONDS * 1000
/** Session rules are capped by the browser (5,000); replace mode keeps far fewer. */
export const MAX_RULES = 500

export interface DnrReplacerDeps {
  dnr: DnrLike
  swarm: FetchRelaySwarm
  now: () => number
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
  /** A failure the user may want to see (Activity); never the URL's query, which may hold a passkey. */
  report: (trackerHost: string, reason: string) => void
  warn: (message: string) => void
}

interface Installed {
  id: number
  tabId: number
  origin: string
  trackerHost: string
  infoHash: string
  left: bigint | undefined
  condition: DnrRule['condition']
  /** When the answer was last built. */
  at: number
  /** When an announce this rule serves was last seen. */
  seenAt: number
  timer: unknown
}

/**
 * Chrome's replace mode: once a replace-mode site's announce has been seen,
 * a `declarativeNetRequest` session rule redirects that tab's later
 * announces to the same tracker for the same torrent to a `data:` URL
 * holding a bencoded answer built from the TSEED relays' peers. Chrome
 * cannot answer a request from the worker, and a rule must exist before the
 * request it changes, so the first announce still reaches the tracker.
 */
export function createDnrReplacer(deps: DnrReplacerDeps): ReplacePlatform {
  const rules = new Map<string, Installed>()
  let nextId = 1
  // Rules from a worker that stopped hold answers nobody refreshes any more.
  const cleared = deps.dnr
    .getSessionRules()
    .then((old) =>
      old.length === 0
        ? undefined
        : deps.dnr.updateSessionRules({ removeRuleIds: old.map((r) => r.id) }),
    )
    .catch((e: unknown) => {
      deps.warn(`tseed: could not clear old replace rules: ${(e as Error).message}`)
    })
  // One change at a time: two announces arriving together must not race for one rule.
  let queue: Promise<unknown> = cleared

  const serial = (fn: () => Promise<void>): Promise<void> => {
    const run = queue.then(fn).catch((e: unknown) => {
      deps.warn(`tseed: replace rule update failed: ${(e as Error).message}`)
    })
    queue = run
    return run
  }

  const answerFor = async (r: Installed): Promise<string> => {
    try {
      const swarm = await deps.swarm(r.infoHash, r.left)
      return dataUrl(encodeAnnounceAnswer({ interval: REPLACED_INTERVAL_SECONDS, ...swarm }))
    } catch (e) {
      const reason = `TSEED relay: ${(e as Error).message}`.slice(0, 300)
      deps.report(r.trackerHost, `replace mode: ${reason}`)
      return dataUrl(encodeFailure(reason))
    }
  }

  const install = async (r: Installed): Promise<void> => {
    const url = await answerFor(r)
    if (rules.get(keyOf(r)) !== r) return // removed while the relays were asked
    await deps.dnr.updateSessionRules({
      removeRuleIds: [r.id],
      addRules: [
        {
          id: r.id,
          priority: 1,
          action: { type: 'redirect', redirect: { url } },
          condition: r.condition,
        },
      ],
    })
    r.at = deps.now()
    deps.clearTimer(r.timer)
    r.timer = deps.setTimer(() => {
      // Nobody announces through this rule any more: stop asking the relays for it.
      if (deps.now() - r.seenAt >= IDLE_MS) return
      void serial(() => install(r))
    }, REFRESH_MS)
  }

  const remove = (pred: (r: Installed) => boolean): Promise<void> =>
    serial(async () => {
      const gone = [...rules.values()].filter(pred)
      if (gone.length === 0) return
      for (const r of gone) {
        rules.delete(keyOf(r))
        deps.clearTimer(r.timer)
      }
      await deps.dnr.updateSessionRules({ removeRuleIds: gone.map((r) => r.id) })
    })

  return {
    onAnnounce(a: ReplaceAnnounce): void {
      if (a.tabId === undefined || a.tabId < 0) return
      const tabId = a.tabId
      const condition = conditionFor(a.url, tabId)
      if (condition === undefined) return
      void serial(async () => {
        const key = `${tabId} ${condition.urlFilter ?? condition.regexFilter ?? ''}`
        const existing = rules.get(key)
        if (existing !== undefined) {
          // A seeder's answer differs (leechers only): refresh at once when `left` moves to 0.
          const becameSeeder = (existing.left === 0n) !== (a.left === 0n)
          existing.left = a.left
          existing.seenAt = deps.now()
          if (becameSeeder || deps.now() - existing.at >= REFRESH_MS) await install(existing)
          return
        }
        if (rules.size >= MAX_RULES) {
          deps.report(
            a.trackerHost,
            'replace mode: too many torrents at once; this one is not replaced',
          )
          return
        }
        const r: Installed = {
          id: nextId++,
          tabId,
          origin: a.origin,
          trackerHost: a.trackerHost,
          infoHash: a.infoHash,
          left: a.left,
          condition,
          at: 0,
          seenAt: deps.now(),
          timer: undefined,
        }
        rules.set(key, r)
        await install(r)
      })
    },
    sitesChanged(sites: ReadonlySet<string>): void {
      void remove((r) => !sites.has(r.origin))
    },
    tabGone(tabId: number): void {
      void remove((r) => r.tabId === tabId)
    },
    settled: () => queue.then(() => undefined),
  }
}

function keyOf(r: Installed): string {
  return `${r.tabId} ${r.condition.urlFilter ?? r.condition.regexFilter ?? ''}`
}

/**
 * The rule condition for later announces like `url`: the same tracker URL
 * (scheme, host, port, path) with the same `info_hash` value byte for byte,
 * in this tab only. A URL filter when the text allows, else an RE2 regex.
 */
export function conditionFor(url: string, tabId: number): DnrRule['condition'] | undefined {
  const q = url.indexOf('?')
  if (q === -1) return undefined
  const base = url.slice(0, q)
  const hash = /(?:^|&)info_hash=([^&#]*)/.exec(url.slice(q + 1))?.[1]
  if (hash === undefined || hash === '' || base.length + hash.length > 1500) return undefined
  if (!/[*^|]/.test(base + hash)) {
    // `^` stands for the `&` after the value or the end of the URL.
    return {
      urlFilter: `|${base}?*info_hash=${hash}^`,
      isUrlFilterCaseSensitive: true,
      tabIds: [tabId],
    }
  }
  const esc = (s: string): string => s.replace(/[^A-Za-z0-9%]/g, (c) => `\\${c}`)
  return {
    regexFilter: `^${esc(base)}\\?(?:[^#]*&)?info_hash=${esc(hash)}(?:&|#|$)`,
    isUrlFilterCaseSensitive: true,
    tabIds: [tabId],
  }
}
