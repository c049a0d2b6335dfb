import type { HeldChoice } from '../background/consent/held-announces'
import type { Send } from './client'

export interface ActionUi {
  setError: (message: string | null) => void
  /** Re-reads the state after a change, so the popup does not wait for the next poll. */
  refresh: () => Promise<void>
}

/** What the user can do in the popup; each resolves to true when it worked. */
export interface Actions {
  generateKey: () => Promise<boolean>
  importKey: (key: string) => Promise<boolean>
  addRelay: (url: string) => Promise<boolean>
  removeRelay: (url: string) => Promise<boolean>
  retryNow: () => Promise<boolean>
  decideHeld: (id: number, choice: HeldChoice) => Promise<boolean>
  setSiteDecision: (origin: string, decision: 'allow' | 'block' | 'ask') => Promise<boolean>
  setSiteBudget: (origin: string, dailyBudget: string) => Promise<boolean>
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
  return {
    generateKey: () => run(() => send('generateKey')),
    importKey: (key) => run(() => send('importKey', { key })),
    addRelay: (url) => run(() => send('addRelay', { url })),
    removeRelay: (url) => run(() => send('removeRelay', { url })),
    retryNow: () => run(() => send('retryNow')),
    decideHeld: (id, choice) => run(() => send('decideHeld', { id, choice })),
    setSiteDecision: (origin, decision) => run(() => send('setSiteDecision', { origin, decision })),
    setSiteBudget: (origin, dailyBudget) =>
      run(() => send('setSiteBudget', { origin, dailyBudget })),
    setSpending: (s) => run(() => send('setSpending', s)),
    setRelayLimits: (relay, perHour, perDay) =>
      run(() => send('setRelayLimits', { relay, perHour, perDay })),
  }
}
