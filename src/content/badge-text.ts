/**
 * Every word a badge and its panel show, from the background's answer.
 * Pure, so what users read is tested without a page.
 */
import type { SwarmBadgeView } from '../background/site-badges/protocol'

/** What the panel needs besides the swarm. */
export interface BadgeContext {
  /** The user's TSEED on the relays asked, decimal; null when unknown. */
  balance: string | null
  relays: number
  answered: number
  testMode: boolean
}

/** The pieces of the badge itself; `label` is its accessible name. */
export interface BadgeText {
  seeders: string
  leechers: string
  /** TSEED per MB, or `?`. */
  price: string
  /** TSEED for the whole download, or null when the size or the price is unknown. */
  cost: string | null
  label: string
}

export interface PanelRow {
  key: 'seeders' | 'leechers' | 'price' | 'size' | 'cost' | 'balance-after'
  label: string
  value: string
}

/** 1234567 → "1,234,567"; the sign is kept. */
export function groupDigits(decimal: string): string {
  const neg = decimal.startsWith('-')
  const digits = neg ? decimal.slice(1) : decimal
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Decimal units, as TSEED prices them (1 MB = 10^6 bytes). */
export function formatSize(bytes: string): string {
  const n = BigInt(bytes)
  const units: [bigint, string][] = [
    [10n ** 12n, 'TB'],
    [10n ** 9n, 'GB'],
    [10n ** 6n, 'MB'],
    [10n ** 3n, 'kB'],
  ]
  for (const [size, unit] of units) {
    if (n >= size) {
      const tenths = (n * 10n) / size
      return `${groupDigits((tenths / 10n).toString())}.${tenths % 10n} ${unit}`
    }
  }
  return `${n} bytes`
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

export function badgeText(v: SwarmBadgeView): BadgeText {
  const price = v.tokensPerMb === null ? '?' : groupDigits(v.tokensPerMb)
  const cost = v.cost === null ? null : groupDigits(v.cost)
  let label: string
  if (v.seeders === null || v.leechers === null) {
    label = 'TSEED: your relays did not answer about this torrent. Show details.'
  } else {
    const swarm = `${plural(v.seeders, 'seeder', 'seeders')} and ${plural(v.leechers, 'leecher', 'leechers')} on your TSEED relays`
    const money =
      v.tokensPerMb === null
        ? 'price unknown'
        : `${price} TSEED per MB${cost === null ? '' : `, at most ${cost} TSEED for this download`}`
    label = `TSEED: ${swarm}, ${money}. Show details.`
  }
  return {
    seeders: v.seeders === null ? '?' : String(v.seeders),
    leechers: v.leechers === null ? '?' : String(v.leechers),
    price,
    cost,
    label,
  }
}

export function panelRows(v: SwarmBadgeView, ctx: BadgeContext): PanelRow[] {
  const t = badgeText(v)
  const rows: PanelRow[] = [
    { key: 'seeders', label: 'Seeders (have it all)', value: t.seeders },
    { key: 'leechers', label: 'Leechers (still downloading)', value: t.leechers },
    {
      key: 'price',
      label: 'Price',
      value:
        v.tokensPerMb === null
          ? 'Unknown: a relay did not say its price'
          : `${t.price} TSEED per MB${v.rare ? ' (few seeders, so it costs more)' : ''}`,
    },
    {
      key: 'size',
      label: 'Size',
      value:
        v.bytes === null
          ? 'Unknown: the link does not say'
          : `${formatSize(v.bytes)} (${v.bytesFrom === 'nip35' ? 'from a Nostr torrent event' : 'from the magnet link'})`,
    },
    {
      key: 'cost',
      label: 'Whole download',
      value: t.cost === null ? 'Unknown without the size and the price' : `at most ${t.cost} TSEED`,
    },
    { key: 'balance-after', label: 'Your balance after it', value: balanceAfter(v, ctx) },
  ]
  return rows
}

export function panelNotes(v: SwarmBadgeView, ctx: BadgeContext): string[] {
  const notes: string[] = []
  if (v.title !== null) {
    notes.push('The title comes from a Nostr torrent event (NIP-35). Anyone can publish one.')
  }
  if (ctx.answered < ctx.relays) {
    notes.push(
      `${ctx.answered} of your ${ctx.relays} TSEED relays answered; the counts may be missing peers.`,
    )
  } else if (!v.exact) {
    notes.push('This swarm is too large to count in one answer; the counts may be missing peers.')
  }
  notes.push(
    ctx.relays === 1
      ? 'Counted from the announces of the last hour on your TSEED relay.'
      : `Counted from the announces of the last hour on your ${ctx.relays} TSEED relays. Each relay charges on its own, so their prices and costs are added up.`,
  )
  if (ctx.testMode) notes.push('Test mode: these TSEED are play money.')
  return notes
}

function balanceAfter(v: SwarmBadgeView, ctx: BadgeContext): string {
  if (ctx.balance === null) return 'Unknown: open TSEED to set up your key and see your balance'
  if (v.cost === null)
    return `Unknown without the cost (you have ${groupDigits(ctx.balance)} TSEED)`
  const after = BigInt(ctx.balance) - BigInt(v.cost)
  const have = `you have ${groupDigits(ctx.balance)}`
  return after >= 0n
    ? `${groupDigits(after.toString())} TSEED (${have})`
    : `${groupDigits((-after).toString())} TSEED short: top up first (${have})`
}
