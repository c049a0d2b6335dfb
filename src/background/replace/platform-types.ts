import type { FetchRelaySwarm } from './relay-swarm'

/** An HTTP announce of a replace-mode site, as the observer saw it leave a tab. */
export interface ReplaceAnnounce {
  /** The full request URL; it may hold a passkey, so it is never logged or stored. */
  url: string
  tabId: number | undefined
  /** The site (top-level page origin), already checked to be in replace mode. */
  origin: string
  trackerHost: string
  /** 40 lowercase hex. */
  infoHash: string
  left: bigint | undefined
}

/**
 * What each browser's replace mode does, behind one interface; the build
 * picks the module (`platform.ts` for Chrome, `platform.firefox.ts` for
 * Firefox, see vite.config.ts).
 */
export interface ReplacePlatform {
  /** An announce of a replace-mode site was seen (after the request left, for Chrome). */
  onAnnounce(a: ReplaceAnnounce): void
  /** The set of sites in replace mode changed; whatever was set up for another site goes. */
  sitesChanged(sites: ReadonlySet<string>): void
  /** The tab closed or loaded another page. */
  tabGone(tabId: number): void
  /** Resolves once pending rule or listener changes are done (tests, and orderly shutdown). */
  settled(): Promise<void>
}

/** What every platform module is given by the background. */
export interface PlatformDeps {
  swarm: FetchRelaySwarm
  extensionBase: string
  now: () => number
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
  report: (trackerHost: string, reason: string) => void
  warn: (message: string) => void
}
