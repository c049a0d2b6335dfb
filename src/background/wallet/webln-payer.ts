import type { Nip07Deps } from '../signer/nip07-signer'
import { matchingPreimage, payableHash } from './top-up'
import { WalletError } from './wallet-error'

/**
 * Paying a top-up invoice with the user's WebLN wallet (Alby and others put
 * `window.webln` into web pages), run like the NIP-07 signer: in the MAIN
 * world of an open http(s) tab through `scripting.executeScript`. The tab is
 * an outside party, so its answer is bounded and the preimage is checked
 * against the invoice before anything is believed.
 */

/** What {@link weblnPageCall} returns; `error` is `no-webln`, `refused` or the wallet's message. */
export type WeblnPageResult = { ok: true; preimage: unknown } | { ok: false; error: string }

/**
 * Runs in the page. `executeScript` serialises it, so it refers to nothing
 * outside its own body, and it never throws. It waits up to `waitMs` for a
 * late `window.webln`, only `settleMs` more once the page has loaded.
 */
export async function weblnPageCall(
  invoice: string,
  waitMs: number,
  settleMs: number,
  pollMs: number,
): Promise<WeblnPageResult> {
  try {
    let deadline = Date.now() + waitMs
    let settling = false
    type WebLn = {
      enable(): Promise<unknown>
      // A page's wallet may answer anything; nothing about the answer is assumed.
      sendPayment(invoice: string): Promise<unknown>
    }
    const find = (): WebLn | null => {
      const w = (window as { webln?: unknown }).webln
      return typeof w === 'object' && w !== null ? (w as WebLn) : null
    }
    let webln = find()
    while (webln === null && Date.now() < deadline) {
      if (!settling && document.readyState === 'complete') {
        settling = true
        deadline = Math.min(deadline, Date.now() + settleMs)
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
      webln = find()
    }
    if (webln === null) return { ok: false, error: 'no-webln' }
    await webln.enable()
    const paid = await webln.sendPayment(invoice)
    const preimage =
      typeof paid === 'object' && paid !== null
        ? (paid as { preimage?: unknown }).preimage
        : undefined
    return { ok: true, preimage: typeof preimage === 'string' ? preimage.slice(0, 200) : null }
  } catch (err) {
    let message = 'unknown error'
    try {
      message = (err instanceof Error ? err.message : String(err)).slice(0, 200)
    } catch {
      // A thrown object whose toString throws too: keep the generic message.
    }
    const refused = /reject|denied|deny|declin|cancel|refus|not allowed/i.test(message)
    return { ok: false, error: refused ? 'refused' : message }
  }
}

export interface WeblnDeps extends Pick<Nip07Deps, 'executeInTab' | 'candidateTabs'> {
  /** For the whole payment, default 120 s: the wallet shows a confirmation. */
  timeoutMs?: number
  /** How long a tab may take to show `window.webln`, default 3 s. */
  waitForWalletMs?: number
  pollMs?: number
  nowSeconds?: () => number
}

/** On a loaded page a wallet extension has had its chance. */
const SETTLE_MS = 500

/**
 * Pays `invoice` through the first open tab that has a WebLN wallet; that
 * tab's answer is final, so one refusal never turns into a second prompt in
 * another tab. A timeout is reported as one: the payment may still arrive.
 *
 * @returns the preimage when the wallet gave one that proves the payment, else null.
 * @throws WalletError
 */
export async function payWithWebln(
  invoice: string,
  deps: WeblnDeps,
): Promise<{ preimage: string | null }> {
  const paymentHash = payableHash(invoice, deps.nowSeconds)
  const timeoutMs = deps.timeoutMs ?? 120_000
  const args: [string, number, number, number] = [
    invoice,
    deps.waitForWalletMs ?? 3_000,
    SETTLE_MS,
    deps.pollMs ?? 100,
  ]
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new WalletError(
          'wallet_timeout',
          'Your browser wallet did not answer in time. The payment may still go through; keep this open to see it arrive.',
        ),
      )
    }, timeoutMs)
  })
  const work = (async () => {
    const tabs = await deps.candidateTabs()
    if (tabs.length === 0) {
      throw new WalletError(
        'wallet',
        'Paying with a browser wallet (WebLN) needs an open website tab; open one and try again.',
      )
    }
    for (const tabId of tabs) {
      let raw: unknown
      try {
        raw = await deps.executeInTab(tabId, weblnPageCall, args)
      } catch {
        // Closed tab or restricted page: try the next one.
        continue
      }
      const result = readResult(raw)
      if (result === undefined) {
        throw new WalletError('wallet', 'The website tab gave an answer TSEED cannot read.')
      }
      if (result.ok) return { preimage: matchingPreimage(result.preimage, paymentHash) }
      if (result.error === 'no-webln') continue
      if (result.error === 'refused') {
        throw new WalletError('wallet', 'You declined the payment in your browser wallet.')
      }
      throw new WalletError('wallet', `Your browser wallet could not pay: ${result.error}`)
    }
    throw new WalletError(
      'wallet',
      'No browser wallet (WebLN, such as Alby) was found in your open tabs. Pay the invoice another way.',
    )
  })()
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
  }
}

function readResult(raw: unknown): WeblnPageResult | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  if (r.ok === true) return { ok: true, preimage: r.preimage }
  if (r.ok === false && typeof r.error === 'string')
    return { ok: false, error: r.error.slice(0, 200) }
  return undefined
}
