import type { ActivityLog } from './activity-log'
import type { Consent } from './consent/consent'
import { HELD_CHOICES, type HeldChoice } from './consent/held-announces'
import { canonicalOrigin } from './consent/site-decisions'
import { parseLineMbps, parseTokens, type SpendingSettings } from './consent/spending-settings'
import type { DrainScheduler } from './drain-scheduler'
import type { RelayView, SiteView, SpendingView, StateView } from './messages'
import type { Outbox } from './outbox'
import type { RelayLimits } from './relay-limits'
import type { Wallet } from './wallet/wallet'
import type { RelayPool } from './relay-pool'
import type { Settings } from './settings'
import type { AutoLock } from './signer/auto-lock'
import type { SigningIdentity } from './signer/identity'
import { buildStateView, RECENT_ANNOUNCES } from './state-view'

export interface HandlerDeps {
  /** Resolves once the key and database are loaded after a worker start. */
  ready: Promise<unknown>
  identity: SigningIdentity
  settings: Settings
  outbox: Outbox
  pool: RelayPool
  scheduler: DrainScheduler
  activity: ActivityLog
  consent: Pick<Consent, 'decisions' | 'spending' | 'spendLog' | 'held'>
  autoLock: AutoLock
  wallet: Wallet
  relayLimits: RelayLimits
  /** Gives a new key or relay the default relay spending limit, in the background. */
  applyDefaultRelayLimits: () => void
  now: () => number
}

export interface KeyInfo {
  pubkey: string
  npub: string
}

/** A route was called with parameters of the wrong shape. */
export class RouteParamsError extends Error {
  override name = 'RouteParamsError'
}

/**
 * The routes the extension's own pages may call. Each takes at most one
 * parameter object and returns JSON-safe data; the popup's client derives its
 * types from this map (`Handlers`).
 */
export function createHandlers(d: HandlerDeps) {
  /** A key that can sign again: queued announces go out, and a new key gets the relay's default limit. */
  const afterUnlock = (): KeyInfo => {
    d.autoLock.touch()
    void d.scheduler.request()
    d.applyDefaultRelayLimits()
    void d.wallet.refresh('key')
    return keyInfo()
  }

  const keyInfo = (): KeyInfo => {
    const pubkey = d.identity.pubkey()
    const npub = d.identity.npub()
    if (pubkey === null || npub === null) throw new Error('no key')
    return { pubkey, npub }
  }

  /** Keeps the relay list's live state honest while a page is watching. */
  const watchRelays = (relays: readonly string[], pendingCount: number): void => {
    const now = d.now()
    for (const url of relays) {
      if (d.pool.isConnected(url) || d.pool.nextConnectAt(url) > now) continue
      if (d.pool.status(url).state === 'connecting') continue
      void d.pool.connect(url).then((r) => {
        // A relay that just came back gets its queue at once, not at the next backoff step.
        if (r.ok && pendingCount > 0) void d.scheduler.request(true)
      })
    }
  }

  const siteViews = async (): Promise<SiteView[]> => {
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
    }))
  }

  const afterRelayChange = (relays: string[]): string[] => {
    d.pool.retain(relays)
    void d.scheduler.request()
    d.applyDefaultRelayLimits()
    void d.wallet.refresh('relays')
    return relays
  }

  return {
    async getState(): Promise<StateView> {
      await d.ready
      d.autoLock.touch()
      const urls = await d.settings.relays.get()
      const { recent, openCount: pendingCount } = await d.outbox.snapshot(RECENT_ANNOUNCES)
      watchRelays(urls, pendingCount)
      const [held, sites, spending, autoLockMinutes, wallet] = await Promise.all([
        d.outbox.listHeld(),
        siteViews(),
        d.consent.spending.get(),
        d.autoLock.minutes.get(),
        d.wallet.view(),
      ])
      const relays: RelayView[] = urls.map((url) => {
        const s = d.pool.status(url)
        return s.error === undefined
          ? { url, state: s.state }
          : { url, state: s.state, error: s.error }
      })
      return buildStateView({
        pubkey: d.identity.pubkey(),
        npub: d.identity.npub(),
        keyState: d.identity.state(),
        signerKind: d.identity.kind(),
        autoLockMinutes,
        relays,
        recent,
        pendingCount,
        activity: d.activity.recent(20),
        held,
        allowedOrigins: new Set(sites.filter((x) => x.decision === 'allow').map((x) => x.origin)),
        sites,
        spending: spendingView(spending),
        relayLimits: d.relayLimits.view(),
        wallet,
      })
    },

    /** Reads every TSEED relay's balance now (the popup's first screen, a "Refresh" click). */
    async refreshBalance(): Promise<{ relays: number }> {
      await d.ready
      return { relays: (await d.wallet.refresh('popup')).length }
    },

    /** `unit: 'sat'` quotes what the sats buy; `unit: 'tseed'` what that much TSEED costs. */
    async quoteTopUp(params: { relay: string; amount: string; unit: 'sat' | 'tseed' }) {
      await d.ready
      const unit = stringParam(params, 'unit')
      if (unit !== 'sat' && unit !== 'tseed')
        throw new RouteParamsError('unit must be sat or tseed')
      return d.wallet.quote(stringParam(params, 'relay'), {
        unit,
        amount: wholeParam(params, 'amount'),
      })
    },

    async startTopUp(params: { relay: string; amountSat: string }) {
      await d.ready
      return d.wallet.startTopUp(stringParam(params, 'relay'), wholeParam(params, 'amountSat'))
    },

    async payTopUpWithNwc() {
      await d.ready
      return d.wallet.payTopUpWithNwc()
    },

    async planCashOut(params: { relay: string; tseed: string }) {
      await d.ready
      return d.wallet.planCashOut(stringParam(params, 'relay'), wholeParam(params, 'tseed'))
    },

    /** `destination`: a BOLT11 invoice for the planned amount, or a Lightning address. */
    async cashOut(params: { relay: string; tseed: string; destination: string }) {
      await d.ready
      const result = await d.wallet.cashOut(
        stringParam(params, 'relay'),
        wholeParam(params, 'tseed'),
        stringParam(params, 'destination'),
      )
      void d.wallet.refresh('cash-out')
      return result
    },

    dismissTopUp(): Promise<null> {
      d.wallet.dismissTopUp()
      return Promise.resolve(null)
    },

    /** Stores the user's NWC wallet, sealed with the key's password. */
    async connectNwc(params: { uri: string; password: string }): Promise<{ connected: true }> {
      await d.ready
      await d.wallet.connectNwc(stringParam(params, 'uri'), stringParam(params, 'password'))
      return { connected: true }
    },

    async forgetNwc(): Promise<null> {
      await d.wallet.forgetNwc()
      return null
    },

    /** The relay-enforced spending limit of the current key; an empty field means no limit. */
    async setRelayLimits(params: { relay: string; perHour: string; perDay: string }) {
      await d.ready
      const limit = (name: 'perHour' | 'perDay', what: string): bigint | null => {
        const text = stringParam(params, name).trim()
        return text === '' ? null : parseTokens(text, what)
      }
      return d.relayLimits.set(
        stringParam(params, 'relay'),
        limit('perHour', 'The hourly limit'),
        limit('perDay', 'The daily limit'),
      )
    },

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

    async generateKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.generate(stringParam(params, 'password'))
      return afterUnlock()
    },

    async importKey(params: { key: string; password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.importKey(stringParam(params, 'key'), stringParam(params, 'password'))
      return afterUnlock()
    },

    async unlockKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      const password = stringParam(params, 'password')
      await d.identity.unlock(password)
      await d.wallet.unlocked(password)
      return afterUnlock()
    },

    /** Signs with the user's NIP-07 signer extension, found in an open http(s) tab. */
    async useNip07(): Promise<KeyInfo> {
      await d.ready
      await d.identity.useNip07()
      return afterUnlock()
    },

    /** Signs with the user's NIP-46 bunker. */
    async useBunker(params: { uri: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.useBunker(stringParam(params, 'uri'))
      return afterUnlock()
    },

    /** Back from an outside signer to the key stored in the extension. */
    async useLocalKey(): Promise<{ keyState: string }> {
      await d.ready
      await d.identity.useLocal()
      void d.scheduler.request()
      return { keyState: d.identity.state() }
    },

    /** The one-step migration of a key from an older version, kept only for the session. */
    async protectKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.protect(stringParam(params, 'password'))
      return keyInfo()
    },

    async lockKey(): Promise<{ locked: true }> {
      await d.ready
      await d.identity.lock()
      await d.wallet.locked()
      return { locked: true }
    },

    async exportKey(params: { password: string }): Promise<{ nsec: string; ncryptsec: string }> {
      await d.ready
      return d.identity.exportKey(stringParam(params, 'password'))
    },

    async setAutoLock(params: { minutes: number }): Promise<{ minutes: number }> {
      const minutes = objectParam(params).minutes
      if (
        !Number.isSafeInteger(minutes) ||
        (minutes as number) < 0 ||
        (minutes as number) > 10_080
      ) {
        throw new RouteParamsError('minutes must be a whole number from 0 to 10080')
      }
      await d.autoLock.minutes.set(minutes as number)
      d.autoLock.touch()
      return { minutes: minutes as number }
    },

    async setRelays(params: { relays: string[] }): Promise<string[]> {
      const relays = objectParam(params).relays
      if (!Array.isArray(relays) || !relays.every((r) => typeof r === 'string')) {
        throw new RouteParamsError('relays must be a list of URLs')
      }
      return afterRelayChange(await d.settings.setRelays(relays))
    },

    async addRelay(params: { url: string }): Promise<string[]> {
      return afterRelayChange(await d.settings.addRelay(stringParam(params, 'url')))
    },

    async removeRelay(params: { url: string }): Promise<string[]> {
      return afterRelayChange(await d.settings.removeRelay(stringParam(params, 'url')))
    },

    async retryNow(): Promise<{ pendingCount: number }> {
      await d.ready
      await d.scheduler.request(true)
      return { pendingCount: await d.outbox.countOpen() }
    },
  }
}

export type Handlers = ReturnType<typeof createHandlers>

/** An amount of sats or TSEED as typed: a whole number, at least 1. */
function wholeParam(params: unknown, name: string): bigint {
  const text = stringParam(params, name).trim()
  if (!/^[0-9]{1,15}$/.test(text) || BigInt(text) === 0n) {
    throw new RouteParamsError('Enter a whole number, at least 1')
  }
  return BigInt(text)
}

function spendingView(s: SpendingSettings): SpendingView {
  return {
    dailyBudget: s.dailyBudget.toString(),
    confirmAbove: s.confirmAbove.toString(),
    lineMbps: s.lineMbps,
  }
}

function objectParam(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null)
    throw new RouteParamsError('parameters missing')
  return params as Record<string, unknown>
}

function stringParam(params: unknown, name: string): string {
  const v = objectParam(params)[name]
  if (typeof v !== 'string') throw new RouteParamsError(`${name} must be a string`)
  if (v.length > 1_000) throw new RouteParamsError(`${name} is too long`)
  return v
}
