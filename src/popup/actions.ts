import type { HeldChoice } from '../background/consent/held-announces'
import type { Send } from './client'

export interface ActionUi {
  setError: (message: string | null) => void
  /** Re-reads the state after a change, so the popup does not wait for the next poll. */
  refresh: () => Promise<void>
  /** Shows the exported key until the popup closes. */
  showExported: (key: { nsec: string; ncryptsec: string }) => void
}

/** What the user can do in the popup; each resolves to true when it worked. */
export interface Actions {
  generateKey: (password: string, confirm: string) => Promise<boolean>
  importKey: (key: string, password: string, confirm: string) => Promise<boolean>
  unlockKey: (password: string) => Promise<boolean>
  lockKey: () => Promise<boolean>
  protectKey: (password: string, confirm: string) => Promise<boolean>
  exportKey: (password: string) => Promise<boolean>
  setAutoLock: (minutes: number) => Promise<boolean>
  refreshBalance: () => Promise<boolean>
  useNip07: () => Promise<boolean>
  useBunker: (uri: string) => Promise<boolean>
  startNostrConnect: (relay: string) => Promise<boolean>
  cancelNostrConnect: () => Promise<boolean>
  useLocalKey: () => Promise<boolean>
  startTopUp: (relay: string, amountSat: string) => Promise<boolean>
  payTopUpWithNwc: () => Promise<boolean>
  payTopUpWithWebln: () => Promise<boolean>
  forgetNwc: () => Promise<boolean>
  dismissTopUp: () => Promise<boolean>
  /** `confirm` is given when the user chose a new password for the wallet alone. */
  connectNwc: (uri: string, password: string, confirm?: string) => Promise<boolean>
  unlockNwc: (password: string) => Promise<boolean>
  setSlippage: (percent: string) => Promise<boolean>
  addRelay: (url: string) => Promise<boolean>
  removeRelay: (url: string) => Promise<boolean>
  retryNow: () => Promise<boolean>
  decideHeld: (id: number, choice: HeldChoice) => Promise<boolean>
  setSiteDecision: (origin: string, decision: 'allow' | 'block' | 'ask') => Promise<boolean>
  setSiteBudget: (origin: string, dailyBudget: string) => Promise<boolean>
  setSiteReplace: (origin: string, replace: boolean) => Promise<boolean>
  setSpending: (s: {
    dailyBudget: string
    confirmAbove: string
    lineMbps: string
  }) => Promise<boolean>
  setRelayLimits: (relay: string, perHour: string, perDay: string) => Promise<boolean>
}

/**
 * Runs popup actions against the background: a failure becomes the one
 * error line at the top of the popup, a success clears it.
 */
export function createActions(send: Send, ui: ActionUi): Actions {
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn()
    } catch (e) {
      ui.setError(e instanceof Error ? e.message : String(e))
      return false
    }
    ui.setError(null)
    await ui.refresh()
    return true
  }
  /** A new password is typed twice; a typo would lock the user out of their key. */
  const samePasswords = (password: string, confirm: string): Promise<void> =>
    password === confirm
      ? Promise.resolve()
      : Promise.reject(new Error('The two passwords differ; type the same password twice'))
  return {
    generateKey: (password, confirm) =>
      run(async () => {
        await samePasswords(password, confirm)
        await send('generateKey', { password })
      }),
    importKey: (key, password, confirm) =>
      run(async () => {
        // An ncryptsec comes with its own password, typed once.
        if (!key.trim().startsWith('ncryptsec1')) await samePasswords(password, confirm)
        await send('importKey', { key, password })
      }),
    unlockKey: (password) => run(() => send('unlockKey', { password })),
    lockKey: () => run(() => send('lockKey')),
    protectKey: (password, confirm) =>
      run(async () => {
        await samePasswords(password, confirm)
        await send('protectKey', { password })
      }),
    exportKey: (password) =>
      run(async () => {
        ui.showExported(await send('exportKey', { password }))
      }),
    setAutoLock: (minutes) => run(() => send('setAutoLock', { minutes })),
    refreshBalance: () => run(() => send('refreshBalance')),
    useNip07: () => run(() => send('useNip07')),
    useBunker: (uri) => run(() => send('useBunker', { uri })),
    startNostrConnect: (relay) => run(() => send('startNostrConnect', { relay })),
    cancelNostrConnect: () => run(() => send('cancelNostrConnect')),
    useLocalKey: () => run(() => send('useLocalKey')),
    startTopUp: (relay, amountSat) => run(() => send('startTopUp', { relay, amountSat })),
    payTopUpWithNwc: () => run(() => send('payTopUpWithNwc')),
    payTopUpWithWebln: () => run(() => send('payTopUpWithWebln')),
    forgetNwc: () => run(() => send('forgetNwc')),
    dismissTopUp: () => run(() => send('dismissTopUp')),
    connectNwc: (uri, password, confirm) =>
      run(async () => {
        if (confirm !== undefined) await samePasswords(password, confirm)
        await send('connectNwc', { uri, password })
      }),
    unlockNwc: (password) => run(() => send('unlockNwc', { password })),
    setSlippage: (percent) => run(() => send('setSlippage', { percent })),
    addRelay: (url) => run(() => send('addRelay', { url })),
    removeRelay: (url) => run(() => send('removeRelay', { url })),
    retryNow: () => run(() => send('retryNow')),
    decideHeld: (id, choice) => run(() => send('decideHeld', { id, choice })),
    setSiteDecision: (origin, decision) => run(() => send('setSiteDecision', { origin, decision })),
    setSiteBudget: (origin, dailyBudget) =>
      run(() => send('setSiteBudget', { origin, dailyBudget })),
    setSiteReplace: (origin, replace) => run(() => send('setSiteReplace', { origin, replace })),
    setSpending: (s) => run(() => send('setSpending', s)),
    setRelayLimits: (relay, perHour, perDay) =>
      run(() => send('setRelayLimits', { relay, perHour, perDay })),
  }
}
