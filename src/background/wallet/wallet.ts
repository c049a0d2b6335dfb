import type { FetchLike, HistoryEntry, TseedApiClient } from '../../balance/api-client'
import { parseWalletConnectUri } from '../../nostr/nip47'
import { NwcClient, type WebSocketImplementation } from '../../nostr/nwc-client'
import type { Outbox } from '../outbox'
import type { SigningIdentity } from '../signer/identity'
import type { StorageAreaLike } from '../storage-item'
import { tseedApiClient, type TseedRelayDirectory } from '../tseed-relays'
import { createBalanceService, summarize, type BalanceRow } from './balance-service'
import { executeCashOut, planCashOut, type CashOutPlan } from './cash-out'
import { coversSince, DAY_SECONDS, flowLast24h, perTorrent } from './history-stats'
import { invoiceForAddress } from './lnurl-pay'
import { createNwcConnection, type NwcPasswordKind, type NwcStatus } from './nwc-connection'
import { checkAgainstRelay, liveQuote, type AmountEntry, type LiveQuote } from './quote'
import { coverWithSlippage } from './slippage'
import { createSlippageSetting } from './slippage-setting'
import { payWithNwc, startTopUp, waitForDeposit, type StartedTopUp } from './top-up'
import { missingFundsMemo, releaseIfFunded } from './waiting-for-funds'
import { WalletError } from './wallet-error'
import { payWithWebln, type WeblnDeps } from './webln-payer'

/** Balances are read again this often by an alarm, besides after every publish and top-up. */
export const BALANCE_ALARM = 'tseed-balance'
export const BALANCE_REFRESH_MINUTES = 5
/** Postings read per relay for the 24 h figures; a busier day shows as a lower bound. */
const HISTORY_PAGE = 200
const TORRENTS_SHOWN = 10
/** After a publish the balance is read at most this often: a burst of announces asks once. */
const AFTER_PUBLISH_MS = 5_000

/** One relay's balance as the popup shows it; amounts are decimal strings. */
export type BalanceView =
  | {
      relay: string
      ok: true
      tseed: string
      sat: string
      tseedValueSat: string | null
      testMode: boolean
      at: number
    }
  | { relay: string; ok: false; error: string; at: number }

export interface TopUpView {
  relay: string
  state: 'invoice' | 'paying' | 'credited' | 'swap_failed' | 'expired' | 'failed'
  invoice: string
  paymentHash: string
  amountSat: string
  /** The least TSEED the sats may be swapped for. */
  minOut: string
  /** Unix seconds. */
  expiresAt: number
  testMode: boolean
  /** Plain words on the last step: progress, or what went wrong and what to do. */
  message: string
  /** TSEED credited, once credited. */
  tseed?: string
}

/** What the user's TSEED did lately, from `GET /history` of each TSEED relay. Decimal strings. */
export interface FlowView {
  last24h: { earned: string; spent: string; net: string }
  /** False when a history page did not reach back 24 hours: the figures are a lower bound. */
  complete: boolean
  /** The most recently active torrents: TSEED earned uploading, paid downloading, and net. */
  torrents: { infoHash: string; up: string; down: string; net: string }[]
}

export interface WalletView {
  balances: BalanceView[]
  /** Summed over the TSEED relays; test-mode relays only when there is no other. */
  total: { tseed: string; tseedValueSat: string; valueComplete: boolean; testMode: boolean } | null
  /** Per relay, the TSEED missing for the announces waiting for funds. */
  missing: { relay: string; tseed: string }[]
  topUp: TopUpView | null
  /** Null until a history was read. */
  flow: FlowView | null
  /** An NWC wallet is configured and unlocked for paying top-ups. */
  nwc: NwcStatus
  /** Which password opens the NWC wallet (or would, once connected): the key's, or its own. */
  nwcPassword: NwcPasswordKind
  /** How far below the quote a swap may land, in basis points (100 = 1%). */
  slippageBps: string
}

export interface QuoteView {
  amountSat: string
  tseedOut: string
  minOut: string
  feeSat: string
  priceImpactBps: string
  /** The bound `minOut` was computed with. */
  slippageBps: string
  testMode: boolean
}

/** A cash-out before the user confirms it: every fee, and what arrives. Decimal strings. */
export interface CashOutPlanView {
  relay: string
  tseedIn: string
  poolFeeTseed: string
  priceImpactBps: string
  satOut: string
  minSatOut: string
  slippageBps: string
  feeReserveSat: string
  /** The invoice amount: what reaches the user's wallet. */
  arrivesSat: string
  testMode: boolean
}

export interface CashOutView {
  relay: string
  tseedIn: string
  satOut: string
  invoiceSat: string
  state: 'pending' | 'completed' | 'failed'
  feePaidSat: string | null
}

export interface WalletDeps {
  localArea: StorageAreaLike
  sessionArea: StorageAreaLike
  directory: TseedRelayDirectory
  fetch: FetchLike
  WebSocket: WebSocketImplementation
  relays: () => Promise<string[]>
  identity: Pick<SigningIdentity, 'signer' | 'pubkey' | 'exportKey' | 'state'>
  outbox: Outbox
  now: () => number
  /** Waiting announces were released: get them published. */
  onReleased: () => void
  /** Announces now wait for funds that did not before: tell the user. */
  onFundsMissing: (missing: { relay: string; tseed: bigint }[]) => void
  warn: (message: string) => void
  /** Runs the WebLN payment in an open website tab, as the NIP-07 signer does. */
  tabs: WeblnDeps
  /** scrypt cost of the sealed NWC string; tests pass a cheap one. */
  sealLogN?: number
}

/**
 * The money side of the background: balances per TSEED relay, announces
 * waiting for funds and their release, and top-ups paid by invoice or by the
 * user's NWC wallet. Everything signed here is NIP-98, by the current key.
 */
export function createWallet(deps: WalletDeps) {
  const signer = () => {
    const s = deps.identity.signer()
    if (s === null) throw new WalletError('bad_input', 'Unlock your key first.')
    return s
  }
  const balances = createBalanceService({
    storage: deps.localArea,
    directory: deps.directory,
    relays: deps.relays,
    pubkey: () => signer().getPublicKey(),
    sign: (t) => signer().signEvent(t),
    fetch: deps.fetch,
    now: deps.now,
  })
  const nwc = createNwcConnection({
    localArea: deps.localArea,
    sessionArea: deps.sessionArea,
    identity: deps.identity,
    warn: deps.warn,
    ...(deps.sealLogN !== undefined ? { logN: deps.sealLogN } : {}),
  })
  const slippage = createSlippageSetting(deps.localArea)

  let topUp: TopUpView | null = null
  let flow: FlowView | null = null
  let lastMissing = ''
  let lastRefreshAt = 0

  const api = (relay: string): Promise<TseedApiClient> =>
    tseedApiClient(deps.directory, relay, {
      fetch: deps.fetch,
      sign: (t) => signer().signEvent(t),
    })

  /** Reads the balances and releases what they now cover. Never rejects: callers fire and forget. */
  const refresh = async (reason: string): Promise<BalanceRow[]> => {
    if (deps.identity.signer() === null) return []
    lastRefreshAt = deps.now()
    const rows = await balances.refresh(reason)
    const funded = new Map<string, bigint>()
    for (const r of rows) if (r.ok) funded.set(r.relay, r.tseed)
    flow = await readFlow([...funded.keys()])
    try {
      const { released } = await releaseIfFunded(deps.outbox, funded, deps.now)
      if (released.length > 0) deps.onReleased()
    } catch (e) {
      deps.warn(`tseed: could not release announces waiting for funds: ${(e as Error).message}`)
    }
    return rows
  }

  /** Earned and spent over the relays' histories; a relay whose history fails is left out. */
  const readFlow = async (relays: string[]): Promise<FlowView | null> => {
    const pages = await Promise.all(
      relays.map((r) => balances.history(r, HISTORY_PAGE).catch(() => null)),
    )
    const read = pages.filter((p): p is HistoryEntry[] => p !== null)
    if (read.length === 0) return null
    const nowSeconds = Math.floor(deps.now() / 1000)
    const entries = read.flat()
    const day = flowLast24h(entries, nowSeconds)
    return {
      last24h: {
        earned: day.earned.toString(),
        spent: day.spent.toString(),
        net: day.net.toString(),
      },
      complete: read.every((p) => coversSince(p, HISTORY_PAGE, nowSeconds - DAY_SECONDS)),
      torrents: perTorrent(entries)
        .slice(0, TORRENTS_SHOWN)
        .map((t) => ({
          infoHash: t.infoHash,
          up: t.up.toString(),
          down: t.down.toString(),
          net: t.net.toString(),
        })),
    }
  }

  const missingFunds = missingFundsMemo(deps.outbox)
  const checkMissing = async (): Promise<void> => {
    const missing = [...(await missingFunds())].map(([relay, tseed]) => ({
      relay,
      tseed,
    }))
    const key = missing.map((m) => `${m.relay}=${m.tseed}`).join(',')
    if (key !== lastMissing && missing.length > 0) deps.onFundsMissing(missing)
    lastMissing = key
  }

  return {
    refresh,

    /** After the publisher ran: new refusals for funds tell the user; balances follow the charges. */
    async afterPublish(): Promise<void> {
      await checkMissing()
      if (deps.now() - lastRefreshAt >= AFTER_PUBLISH_MS) await refresh('publish')
    },

    async view(): Promise<WalletView> {
      const pubkey = deps.identity.pubkey()
      const rows = pubkey === null ? [] : await balances.cached(pubkey)
      const summary = summarize(rows)
      const totals = summary.live.relays > 0 ? summary.live : summary.test
      const [missing, nwcView, slippageBps] = await Promise.all([
        missingFunds(),
        nwc.view(),
        slippage.get(),
      ])
      return {
        balances: rows.map(balanceView),
        total:
          totals.relays === 0
            ? null
            : {
                tseed: totals.tseed.toString(),
                tseedValueSat: totals.tseedValueSat.toString(),
                valueComplete: totals.valueComplete,
                testMode: summary.live.relays === 0,
              },
        missing: [...missing].map(([relay, tseed]) => ({ relay, tseed: tseed.toString() })),
        topUp,
        flow,
        nwc: nwcView.status,
        nwcPassword: nwcView.password,
        slippageBps: slippageBps.toString(),
      }
    },

    /**
     * A top-up quote computed by the shared AMM code from the relay's
     * reserves: what an amount of sats buys, or what an amount of TSEED costs.
     */
    async quote(relay: string, entry: AmountEntry): Promise<QuoteView> {
      return quoteView(
        await liveQuote(await api(relay), 'sat_to_tseed', entry, await slippage.get()),
      )
    },

    /**
     * What to pay so that a top-up covers `needTseed` even at the worst
     * price the slippage bound lets through: the quote for the TSEED whose
     * minimum is `needTseed`.
     */
    async quoteToCover(relay: string, needTseed: bigint): Promise<QuoteView> {
      if (needTseed <= 0n) throw new WalletError('bad_input', 'Nothing is missing.')
      const bps = await slippage.get()
      const target = coverWithSlippage(needTseed, bps)
      return quoteView(
        await liveQuote(await api(relay), 'sat_to_tseed', { unit: 'tseed', amount: target }, bps),
      )
    },

    /** Takes the slippage bound as a percentage typed by the user; returns it in basis points. */
    setSlippage: (percent: string): Promise<bigint> => slippage.setPercent(percent),

    /** Creates the deposit invoice and watches it until the relay credits it. */
    async startTopUp(relay: string, amountSat: bigint): Promise<TopUpView> {
      const client = await api(relay)
      const q = await liveQuote(
        client,
        'sat_to_tseed',
        { unit: 'sat', amount: amountSat },
        await slippage.get(),
      )
      // The shown quote is ours; the relay's `/quote` must say the same from the same pool.
      const check = await checkAgainstRelay(client, q)
      if (!check.agree && !check.poolMoved) {
        throw new WalletError(
          'relay',
          `The relay quotes this top-up differently (${check.differences.join(', ')}); no invoice was created.`,
        )
      }
      const started = await startTopUp({ api: client, amountSat, minOut: q.minOut })
      topUp = topUpView(relay, started, 'invoice', 'Pay this invoice with any Lightning wallet.')
      const mine = topUp
      void waitForDeposit(client, started.paymentHash, {
        onProgress: (p) => {
          if (topUp === mine && p.kind !== 'pending') topUp = { ...topUp, message: p.message }
        },
      })
        .then(async (outcome) => {
          if (topUp?.paymentHash !== started.paymentHash) return
          topUp =
            outcome.kind === 'credited'
              ? {
                  ...topUp,
                  state: 'credited',
                  message: 'Credited.',
                  ...(outcome.tseed !== null ? { tseed: outcome.tseed.toString() } : {}),
                }
              : { ...topUp, state: outcome.kind, message: outcome.message }
          await refresh('top-up')
        })
        .catch((e: unknown) => {
          if (topUp?.paymentHash === started.paymentHash) {
            topUp = { ...topUp, state: 'failed', message: (e as Error).message }
          }
        })
      return topUp
    },

    /** Pays the current top-up's invoice with the user's NWC wallet. */
    async payTopUpWithNwc(): Promise<TopUpView> {
      const current = topUp
      if (current === null) throw new WalletError('bad_input', 'There is no top-up to pay.')
      const uri = await nwc.uri()
      if (uri === null) {
        throw new WalletError('wallet', 'Connect your NWC wallet, or unlock it, first.')
      }
      const client = new NwcClient({
        connection: parseWalletConnectUri(uri),
        WebSocket: deps.WebSocket,
      })
      topUp = { ...current, state: 'paying', message: 'Your wallet is paying the invoice…' }
      try {
        await payWithNwc(current.invoice, client)
      } catch (e) {
        if (topUp.paymentHash === current.paymentHash && topUp.state === 'paying') {
          topUp = { ...topUp, state: 'invoice', message: (e as Error).message }
        }
        throw e
      } finally {
        client.close()
      }
      return topUp
    },

    /** Pays the current top-up with the WebLN wallet of an open tab, like {@link payTopUpWithNwc}. */
    async payTopUpWithWebln(): Promise<TopUpView> {
      const current = topUp
      if (current === null) throw new WalletError('bad_input', 'There is no top-up to pay.')
      topUp = {
        ...current,
        state: 'paying',
        message: 'Confirm the payment in your browser wallet…',
      }
      try {
        await payWithWebln(current.invoice, deps.tabs)
      } catch (e) {
        if (topUp.paymentHash === current.paymentHash && topUp.state === 'paying') {
          topUp = { ...topUp, state: 'invoice', message: (e as Error).message }
        }
        throw e
      }
      return topUp
    },

    dismissTopUp(): void {
      topUp = null
    },

    /** What cashing out `tseed` gives now, fees listed, before anything moves. */
    async planCashOut(relay: string, tseed: bigint): Promise<CashOutPlanView> {
      return planView(
        relay,
        await planCashOut({ api: await api(relay), tseed, slippageBps: await slippage.get() }),
      )
    },

    /**
     * Swaps `tseed` to sats and withdraws them to `destination`: a BOLT11
     * invoice for exactly the planned amount, or a Lightning address.
     */
    async cashOut(relay: string, tseed: bigint, destination: string): Promise<CashOutView> {
      const client = await api(relay)
      const plan = await planCashOut({ api: client, tseed, slippageBps: await slippage.get() })
      const target = destination.trim()
      const result = await executeCashOut({
        api: client,
        plan,
        invoiceFor: async (amountSat) =>
          target.includes('@')
            ? (await invoiceForAddress(target, amountSat, { fetch: deps.fetch })).invoice
            : target,
      })
      return {
        relay,
        tseedIn: plan.tseedIn.toString(),
        satOut: result.swap.amountOut.toString(),
        invoiceSat: result.invoiceSat.toString(),
        state: result.withdrawal.state,
        feePaidSat: result.withdrawal.feePaidSat?.toString() ?? null,
      }
    },

    /**
     * Stores the NWC connection string sealed with the stored key's password,
     * or, for a user with no stored key, with a password of the wallet's own.
     */
    connectNwc: (uri: string, password: string): Promise<NwcPasswordKind> =>
      nwc.connect(uri, password),

    /** Opens the sealed NWC string (after a browser restart, say) with its password. */
    unlockNwc: (password: string): Promise<void> => nwc.unlock(password),

    forgetNwc: (): Promise<void> => nwc.forget(),

    /** The key was unlocked with `password`: a wallet sealed with the key's password opens with it. */
    unlocked: (password: string): Promise<void> => nwc.keyUnlocked(password),

    /** The key was locked: the wallet locks with it, whichever password opens it. */
    locked: (): Promise<void> => nwc.lock(),
  }
}

export type Wallet = ReturnType<typeof createWallet>

function balanceView(r: BalanceRow): BalanceView {
  if (!r.ok) return { relay: r.relay, ok: false, error: r.error, at: r.at }
  return {
    relay: r.relay,
    ok: true,
    tseed: r.tseed.toString(),
    sat: r.sat.toString(),
    tseedValueSat: r.tseedValueSat?.toString() ?? null,
    testMode: r.testMode,
    at: r.at,
  }
}

function quoteView(q: LiveQuote): QuoteView {
  return {
    amountSat: q.amountIn.toString(),
    tseedOut: q.amountOut.toString(),
    minOut: q.minOut.toString(),
    feeSat: q.fee.toString(),
    priceImpactBps: q.priceImpactBps.toString(),
    slippageBps: q.slippageBps.toString(),
    testMode: q.testMode,
  }
}

function planView(relay: string, p: CashOutPlan): CashOutPlanView {
  return {
    relay,
    tseedIn: p.tseedIn.toString(),
    poolFeeTseed: p.poolFeeTseed.toString(),
    priceImpactBps: p.priceImpactBps.toString(),
    satOut: p.satOut.toString(),
    minSatOut: p.minSatOut.toString(),
    slippageBps: p.slippageBps.toString(),
    feeReserveSat: p.feeReserveSat.toString(),
    arrivesSat: p.arrivesSat.toString(),
    testMode: p.testMode,
  }
}

function topUpView(
  relay: string,
  s: StartedTopUp,
  state: TopUpView['state'],
  message: string,
): TopUpView {
  return {
    relay,
    state,
    invoice: s.invoice,
    paymentHash: s.paymentHash,
    amountSat: s.amountSat.toString(),
    minOut: s.minOut.toString(),
    expiresAt: s.expiresAt,
    testMode: s.testMode,
    message,
  }
}
