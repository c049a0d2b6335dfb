import { useEffect, useMemo, useState } from 'preact/hooks'
import type { StateView } from '../background/messages'
import { createActions } from './actions'
import type { Send } from './client'
import { AnnouncesSection } from './components/announces'
import { ConsentPrompt } from './components/consent-prompt'
import { IdentitySection } from './components/identity'
import { ActivitySection, ErrorBanner, HostPermissionNotice, Welcome } from './components/notices'
import { RelayLimitsSection } from './components/relay-limits'
import { RelaysSection } from './components/relays'
import { SitesSection } from './components/sites'
import type { HostPermission } from './host-permission'

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
  const actions = useMemo(
    () => createActions(p.send, { setError, refresh, showExported: setExported }),
    [p.send, refresh],
  )

  useEffect(() => {
    void refresh()
    const timer = setInterval(() => void refresh(), POLL_MS)
    return () => {
      clearInterval(timer)
    }
  }, [refresh])

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
  const hasKey = state?.keyState === 'unlocked' || state?.keyState === 'unprotected'
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
          />
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
            onDefaults={actions.setSpending}
          />
          <RelayLimitsSection limits={state.relayLimits} onSave={actions.setRelayLimits} />
          <AnnouncesSection
            announces={state.announces}
            pendingCount={state.pendingCount}
            hasKey={hasKey}
            now={now}
            onRetry={() => void actions.retryNow()}
          />
          <ActivitySection entries={state.activity} now={now} />
        </>
      )}
    </main>
  )
}
