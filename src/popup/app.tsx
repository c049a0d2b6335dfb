import { useEffect, useMemo, useState } from 'preact/hooks'
import type { StateView } from '../background/messages'
import { createActions } from './actions'
import type { Send } from './client'
import type { CashOutView } from '../background/wallet/wallet'
import { AnnouncesSection } from './components/announces'
import { BalanceCard } from './components/balance'
import { CashOutScreen } from './components/cash-out'
import { ConsentPrompt } from './components/consent-prompt'
import { DesktopClientPanel } from './components/desktop-client'
import { IdentitySection } from './components/identity'
import { ActivitySection, ErrorBanner, HostPermissionNotice, Welcome } from './components/notices'
import { RelayLimitsSection } from './components/relay-limits'
import { RelaysSection } from './components/relays'
import { SitesSection } from './components/sites'
import { TopUpScreen } from './components/top-up'
import type { HostPermission } from './host-permission'
import { useTypedQuote } from './use-typed-quote'
import { canSign } from '../background/signer/identity-state'
import { ViewTabs, type View } from './components/view-tabs'
import { TrackerAnswersSection } from './components/tracker-answers'
import type { TrackerAnswerEntry } from '../background/tracker-answers'
import type { Nip07Presence } from '../background/signer/nip07-signer'

export const POLL_MS = 1_000

export interface AppProps {
  send: Send
  /** `welcome` in the tab opened on install. */
  view: 'popup' | 'welcome'
  hostPermission: HostPermission | null
}

/** The popup, also used full-page as the welcome tab. */
export function App(p: AppProps) {
  const [state, setState] = useState<StateView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pollError, setPollError] = useState<string | null>(null)
  const [now, setNow] = useState(() => Date.now())
  const [hostGranted, setHostGranted] = useState(true)

  const refresh = useMemo(
    () => async () => {
      try {
        setState(await p.send('getState'))
        setPollError(null)
      } catch (e) {
        setPollError((e as Error).message)
      }
      setNow(Date.now())
    },
    [p.send],
  )
  const [exported, setExported] = useState<{ nsec: string; ncryptsec: string } | null>(null)
  const [screen, setScreen] = useState<'main' | 'top-up' | 'cash-out'>('main')
  const [view, setView] = useState<View>('wallet')
  const [nip07Presence, setNip07Presence] = useState<Nip07Presence | null>(null)
  const [trackerAnswers, setTrackerAnswers] = useState<TrackerAnswerEntry[]>([])
  const [cashTseed, setCashTseed] = useState('')
  const [destination, setDestination] = useState('')
  const [cashResult, setCashResult] = useState<CashOutView | null>(null)
  const [cashBusy, setCashBusy] = useState(false)
  const [topUpRelay, setTopUpRelay] = useState('')
  const [amountSat, setAmountSat] = useState('')
  const actions = useMemo(
    () => createActions(p.send, { setError, refresh, showExported: setExported }),
    [p.send, refresh],
  )

  // One poll for everything the popup shows; the trackers' answers are read
  // only while the Activity view is open.
  useEffect(() => {
    const tick = (): void => {
      void refresh()
      if (view === 'activity') p.send('getTrackerAnswers').then(setTrackerAnswers, () => undefined)
    }
    tick()
    const timer = setInterval(tick, POLL_MS)
    return () => {
      clearInterval(timer)
    }
  }, [refresh, p.send, view])

  // The balance is read when the popup opens; the background refreshes it after announces too.
  useEffect(() => {
    void p.send('refreshBalance').catch(() => undefined)
  }, [p.send])

  // The live quote and the cash-out plan follow what is typed.
  const { value: quote, error: quoteError } = useTypedQuote(
    screen === 'top-up' && topUpRelay !== '',
    amountSat,
    (amount) => p.send('quoteTopUp', { relay: topUpRelay, amount, unit: 'sat' }),
    [p.send, topUpRelay, state?.wallet.slippageBps],
  )
  const { value: plan, error: planError } = useTypedQuote(
    screen === 'cash-out' && topUpRelay !== '',
    cashTseed,
    (tseed) => p.send('planCashOut', { relay: topUpRelay, tseed }),
    [p.send, topUpRelay, state?.wallet.slippageBps],
  )

  const openCashOut = (): void => {
    setTopUpRelay(tseedRelays[0] ?? '')
    setCashTseed(state?.wallet.total?.tseed ?? '')
    setDestination('')
    setCashResult(null)
    setScreen('cash-out')
  }

  const confirmCashOut = (): void => {
    setCashBusy(true)
    p.send('cashOut', { relay: topUpRelay, tseed: cashTseed, destination })
      .then(
        (r) => {
          setCashResult(r)
          setError(null)
        },
        (e: unknown) => {
          setError((e as Error).message)
        },
      )
      .finally(() => {
        setCashBusy(false)
      })
  }

  const tseedRelays = (state?.wallet.balances ?? []).filter((b) => b.ok).map((b) => b.relay)

  /** Opens the top-up screen, pre-filled with what `needTseed` costs when a relay is short of funds. */
  const openTopUp = (needTseed: string | null): void => {
    const short = state?.wallet.missing[0]?.relay
    const relay = short ?? tseedRelays[0] ?? ''
    setTopUpRelay(relay)
    setAmountSat('1000')
    setScreen('top-up')
    if (needTseed === null || relay === '') return
    // Enough that even the worst price the slippage setting allows still covers the need.
    p.send('quoteTopUpToCover', { relay, tseed: needTseed }).then(
      (q) => {
        setAmountSat(q.amountSat)
      },
      (e: unknown) => {
        setError((e as Error).message)
      },
    )
  }

  const closeTopUp = (): void => {
    setScreen('main')
    void actions.dismissTopUp()
  }

  // Onboarding suggests the user's signer extension only where it can see one.
  const keyless = state?.keyState === 'none'
  useEffect(() => {
    if (!keyless) return
    p.send('detectNip07').then(
      (r) => {
        setNip07Presence(r.presence)
      },
      () => undefined,
    )
  }, [p.send, keyless])

  useEffect(() => {
    if (p.hostPermission === null) return
    void p.hostPermission.check().then(setHostGranted)
  }, [p.hostPermission])

  const grantHost = (): void => {
    const hp = p.hostPermission
    if (hp === null) return
    // Called synchronously in the click: Firefox only prompts on a user gesture.
    hp.request().then(setHostGranted, (e: unknown) => {
      setError((e as Error).message)
    })
  }

  // A locked key is known but cannot sign: announces wait for it like for no key.
  const hasKey = state !== null && canSign(state.keyState)
  const identity =
    state === null ? null : (
      <IdentitySection
        keyState={state.keyState}
        npub={state.npub}
        autoLockMinutes={state.autoLockMinutes}
        exported={exported}
        onGenerate={actions.generateKey}
        onImport={actions.importKey}
        onUnlock={actions.unlockKey}
        onLock={() => void actions.lockKey()}
        onProtect={actions.protectKey}
        onExport={actions.exportKey}
        onAutoLock={(minutes) => void actions.setAutoLock(minutes)}
        signerKind={state.signerKind}
        onUseNip07={() => void actions.useNip07()}
        nip07Presence={nip07Presence}
        nostrConnect={{
          flow: state.nostrConnect,
          defaultRelay: state.relays[0]?.url ?? '',
          onStart: actions.startNostrConnect,
          onCancel: () => void actions.cancelNostrConnect(),
          onCopy: (text) => void navigator.clipboard.writeText(text),
        }}
        onUseBunker={actions.useBunker}
        onUseLocal={() => void actions.useLocalKey()}
      />
    )
  return (
    <main class={`app app-${p.view}`}>
      <header class="app-head">
        <h1>TSEED</h1>
        <span class="muted">paid seeding over Nostr</span>
      </header>
      <ErrorBanner message={error ?? pollError} />
      {!hostGranted ? <HostPermissionNotice onGrant={grantHost} /> : null}
      {p.view === 'welcome' ? <Welcome /> : null}
      {state === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <ConsentPrompt
            held={state.held}
            now={now}
            onDecide={(id, choice) => void actions.decideHeld(id, choice)}
          />
          {screen === 'top-up' ? (
            <TopUpScreen
              wallet={state.wallet}
              relays={tseedRelays}
              relay={topUpRelay}
              amountSat={amountSat}
              quote={quote}
              quoteError={quoteError}
              onRelay={setTopUpRelay}
              onAmount={setAmountSat}
              onStart={() => void actions.startTopUp(topUpRelay, amountSat)}
              onPayNwc={() => void actions.payTopUpWithNwc()}
              onPayWebln={() => void actions.payTopUpWithWebln()}
              onForgetNwc={() => void actions.forgetNwc()}
              onConnectNwc={actions.connectNwc}
              onUnlockNwc={actions.unlockNwc}
              onSlippage={actions.setSlippage}
              onCopy={(text) => void navigator.clipboard.writeText(text)}
              onClose={closeTopUp}
            />
          ) : screen === 'cash-out' ? (
            <CashOutScreen
              relays={tseedRelays}
              relay={topUpRelay}
              tseed={cashTseed}
              destination={destination}
              plan={plan}
              planError={planError}
              result={cashResult}
              busy={cashBusy}
              slippageBps={state.wallet.slippageBps}
              onSlippage={actions.setSlippage}
              onRelay={setTopUpRelay}
              onTseed={setCashTseed}
              onDestination={setDestination}
              onConfirm={confirmCashOut}
              onClose={() => {
                setScreen('main')
                void actions.refreshBalance()
              }}
            />
          ) : (
            <>
              <ViewTabs view={view} onView={setView} waiting={state.pendingCount} />
              {view === 'wallet' ? (
                hasKey ? (
                  <BalanceCard
                    wallet={state.wallet}
                    onCashOut={openCashOut}
                    onTopUp={openTopUp}
                    onRefresh={() => void actions.refreshBalance()}
                  />
                ) : (
                  // Without a key that can sign, setting one up is the main action.
                  identity
                )
              ) : view === 'activity' ? (
                <>
                  <AnnouncesSection
                    announces={state.announces}
                    pendingCount={state.pendingCount}
                    hasKey={hasKey}
                    now={now}
                    onRetry={() => void actions.retryNow()}
                  />
                  <TrackerAnswersSection answers={trackerAnswers} now={now} />
                  <ActivitySection entries={state.activity} now={now} />
                </>
              ) : (
                <>
                  {identity}
                  <RelaysSection
                    relays={state.relays}
                    onAdd={actions.addRelay}
                    onRemove={(url) => void actions.removeRelay(url)}
                  />
                  <SitesSection
                    sites={state.sites}
                    spending={state.spending}
                    onDecide={(origin, decision) => void actions.setSiteDecision(origin, decision)}
                    onBudget={actions.setSiteBudget}
                    onReplace={(origin, on) => void actions.setSiteReplace(origin, on)}
                    onDefaults={actions.setSpending}
                  />
                  <RelayLimitsSection limits={state.relayLimits} onSave={actions.setRelayLimits} />
                  <DesktopClientPanel send={p.send} relays={tseedRelays} now={now} />
                </>
              )}
            </>
          )}
        </>
      )}
    </main>
  )
}
