/**
 * The messages between the torrent-site content script and the background.
 * Everything crosses as JSON (Chrome serialises messages), so amounts are
 * decimal strings. No imports: the content script bundles this file, and it
 * must stay small.
 */

/** Route names the content router accepts; nothing else is reachable from a web page. */
export const SITE_BADGE_ROUTES = {
  /** `{ links: BadgeLink[] }` → {@link SiteBadgesAnswer} */
  lookup: 'siteBadges',
  /** `{}` → `{ off: true }`: blocks the sender's site, as "Block" in the popup does. */
  off: 'siteBadgesOff',
} as const

/** At most this many links per lookup: the relay's filter-value limit. */
export const MAX_LINKS_PER_LOOKUP = 1000

export interface BadgeLink {
  /** 40 lowercase hex. */
  infoHash: string
  /** The magnet's `xl=` (exact length), decimal; absent when the link does not say. */
  bytes?: string
}

export interface SwarmBadgeView {
  infoHash: string
  /** Distinct keys seeding / downloading on the user's TSEED relays; null when no relay answered. */
  seeders: number | null
  leechers: number | null
  /** TSEED per MB (10^6 bytes), summed over the TSEED relays (each charges on its own ledger); null when unknown. */
  tokensPerMb: string | null
  /** The rarity rule raises the price of this swarm on at least one relay. */
  rare: boolean
  /** The download's size in bytes, and where it came from. */
  bytes: string | null
  bytesFrom: 'magnet' | 'nip35' | null
  /** The most the whole download can cost, in TSEED; null without a size or a price. */
  cost: string | null
  /** The NIP-35 title, when a torrent event for this hash exists. */
  title: string | null
  /** False when a relay failed or its answer may have left peers out: the counts are a lower bound. */
  exact: boolean
}

export type SiteBadgesAnswer =
  /** The user blocked this site: the content script removes its badges and stops. */
  | { enabled: false }
  | {
      enabled: true
      /** TSEED relays asked; 0 when the user has none (then no badge is shown). */
      relays: number
      /** Relays that answered. */
      answered: number
      /** The user's TSEED on those relays from the last balance read; null without a key or a balance yet. */
      balance: string | null
      /** Every relay asked runs on play money. */
      testMode: boolean
      /** In the order the links were asked. */
      swarms: SwarmBadgeView[]
    }
