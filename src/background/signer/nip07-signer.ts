import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { npubEncode } from 'nostr-tools/nip19'
import type { Signer } from './signer'
import { createVerifyingSigner } from './verifying-signer'

/**
 * Signing with the user's own NIP-07 extension (Alby, nos2x…). Such
 * extensions put `window.nostr` into web pages only, never into our service
 * worker or popup, so every call runs {@link nip07PageCall} in the MAIN world
 * of an http(s) tab. That world belongs to the page, which can replace
 * `window.nostr` or forge answers: everything coming back is checked here,
 * and signatures by {@link verifiedNip07Signer}.
 */

/** Any failure of the NIP-07 signer; the message is fit for the popup. */
export class Nip07Error extends Error {
  override name = 'Nip07Error'
}

/** No open tab has `window.nostr`. */
export class NoSignerError extends Nip07Error {
  override name = 'NoSignerError'
  constructor() {
    super(
      'No Nostr signer extension answered in your open tabs. Install or unlock one (Alby, nos2x…) and keep a website tab open.',
    )
  }
}

/** The user declined in their signer extension. */
export class SignerRefusedError extends Nip07Error {
  override name = 'SignerRefusedError'
  constructor() {
    super('Your Nostr signer extension declined the request.')
  }
}

export class SignerTimeoutError extends Nip07Error {
  override name = 'SignerTimeoutError'
  constructor(seconds: number) {
    super(
      `Your Nostr signer extension did not answer within ${seconds} s. Check whether it is waiting for your approval.`,
    )
  }
}

/** The signer answered for another pubkey than the one the user connected. */
export class WrongPubkeyError extends Nip07Error {
  override name = 'WrongPubkeyError'
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Your Nostr signer extension is using ${npubEncode(actual)}, but TSEED is connected to ${npubEncode(expected)}. Switch accounts in the signer, or connect again.`,
    )
  }
}

/** No http(s) tab is open to run the signer in; announces wait in the queue meanwhile. */
export class NoTabError extends Nip07Error {
  override name = 'NoTabError'
  constructor() {
    super('Signing with your Nostr extension needs an open website tab. Announces wait until then.')
  }
}

export type PageRequest = { op: 'getPublicKey' } | { op: 'signEvent'; template: EventTemplate }

/** What {@link nip07PageCall} returns; `error` is `no-signer`, `refused` or the signer's message. */
export type PageResult = { ok: true; value: unknown } | { ok: false; error: string }

/**
 * Runs in the page. `scripting.executeScript` serialises it, so it must not
 * refer to anything outside its own body (no imports, no helpers). It never
 * throws: the browser would turn an exception into an unhelpful message.
 *
 * It waits for `window.nostr`, which signers inject late, up to `waitMs`;
 * on a fully loaded page only `settleMs` more, so tabs without a signer are
 * skipped quickly.
 */
export async function nip07PageCall(
  request: PageRequest,
  waitMs: number,
  settleMs: number,
  pollMs: number,
): Promise<PageResult> {
  try {
    let deadline = Date.now() + waitMs
    let settling = false
    let nostr = (window as { nostr?: unknown }).nostr
    while ((typeof nostr !== 'object' || nostr === null) && Date.now() < deadline) {
      if (!settling && typeof document !== 'undefined' && document.readyState === 'complete') {
        settling = true
        deadline = Math.min(deadline, Date.now() + settleMs)
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
      nostr = (window as { nostr?: unknown }).nostr
    }
    if (typeof nostr !== 'object' || nostr === null) return { ok: false, error: 'no-signer' }
    const signer = nostr as {
      getPublicKey(): Promise<unknown>
      signEvent(template: EventTemplate): Promise<unknown>
    }
    const value =
      request.op === 'getPublicKey'
        ? await signer.getPublicKey()
        : await signer.signEvent(request.template)
    // A JSON round trip leaves plain data only (no functions, proxies or getters).
    return { ok: true, value: JSON.parse(JSON.stringify(value)) as unknown }
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

export interface Nip07Deps {
  /** Wraps `scripting.executeScript({ target: { tabId }, world: 'MAIN', func, args })`; the first frame's result. */
  executeInTab<A extends unknown[]>(
    tabId: number,
    func: (...args: A) => unknown,
    args: A,
  ): Promise<unknown>
  /** Open http(s) tabs, best first (the tab that made the announce first). */
  candidateTabs(): Promise<number[]>
  /** The pubkey the user connected; an answer for any other one is refused. */
  expectedPubkey?: string
  /** For the whole call, default 60 s: the signer may be showing a prompt. */
  timeoutMs?: number
  /** How long a tab may take to show `window.nostr`, default 3 s. */
  waitForSignerMs?: number
  pollMs?: number
}

export interface Nip07Signer extends Signer {
  /** Asks the signer for its pubkey (it may prompt); validated, 64 lowercase hex. */
  connect(): Promise<string>
}

const HEX64 = /^[0-9a-f]{64}$/
const MAX_RESULT_CHARS = 64 * 1024
/** On a loaded page a signer has had its chance; this only covers a late `<script src>`. */
const SETTLE_MS = 500

/**
 * A signer over the user's NIP-07 extension. Its output is not verified
 * here; use {@link verifiedNip07Signer} for anything that gets published.
 */
export function createNip07Signer(deps: Nip07Deps): Nip07Signer {
  const timeoutMs = deps.timeoutMs ?? 60_000
  const waitMs = deps.waitForSignerMs ?? 3_000
  const pollMs = deps.pollMs ?? 100

  /**
   * Tries tabs in order until one has a signer; that tab's answer is final,
   * so a refusal or a prompt left open never pops up a second prompt elsewhere.
   * Once timed out, no further tab is tried.
   */
  const ask = async (request: PageRequest): Promise<unknown> => {
    const deadline = Date.now() + timeoutMs
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new SignerTimeoutError(Math.ceil(timeoutMs / 1000)))
      }, timeoutMs)
    })
    const work = (async () => {
      const tabs = await deps.candidateTabs()
      if (tabs.length === 0) throw new NoTabError()
      for (const tabId of tabs) {
        if (Date.now() >= deadline) break
        let raw: unknown
        try {
          raw = await deps.executeInTab(tabId, nip07PageCall, [request, waitMs, SETTLE_MS, pollMs])
        } catch {
          // Closed tab, restricted page (store, chrome://): try the next one.
          continue
        }
        const result = readPageResult(raw)
        if (result === undefined) {
          throw new Nip07Error('The website tab gave an answer TSEED cannot read; try another tab.')
        }
        if (result.ok) return result.value
        if (result.error === 'no-signer') continue
        if (result.error === 'refused') throw new SignerRefusedError()
        throw new Nip07Error(`Your Nostr signer extension reported an error: ${result.error}`)
      }
      throw new NoSignerError()
    })()
    return Promise.race([work, expired]).finally(() => {
      clearTimeout(timer)
    })
  }

  const checkPubkey = (pubkey: string): string => {
    if (deps.expectedPubkey !== undefined && pubkey !== deps.expectedPubkey) {
      throw new WrongPubkeyError(deps.expectedPubkey, pubkey)
    }
    return pubkey
  }

  const connect = async (): Promise<string> => {
    const value = await ask({ op: 'getPublicKey' })
    if (typeof value !== 'string' || !HEX64.test(value)) {
      throw new Nip07Error(
        'Your Nostr signer extension returned something that is not a public key.',
      )
    }
    return checkPubkey(value)
  }

  return {
    connect,
    getPublicKey: connect,
    async signEvent(template) {
      const value = await ask({ op: 'signEvent', template })
      if (!looksLikeEvent(value)) {
        throw new Nip07Error('Your Nostr signer extension returned something that is not an event.')
      }
      checkPubkey(value.pubkey)
      return value
    },
  }
}

/** Whether a signer extension is in an open tab: `no-tab` when no http(s) tab is open to look in. */
export type Nip07Presence = 'found' | 'none' | 'no-tab'

/** Tabs looked at by {@link detectNip07Signer}; a signer extension is in every tab or in none. */
const DETECT_TABS = 3

/**
 * Runs in the page, like {@link nip07PageCall}: true when `window.nostr`
 * offers `getPublicKey`. Nothing is called on it, so no signer prompt opens.
 */
export async function nip07PagePresence(settleMs: number, pollMs: number): Promise<boolean> {
  const has = (): boolean => {
    try {
      const nostr = (window as { nostr?: { getPublicKey?: unknown } }).nostr
      return typeof nostr === 'object' && typeof nostr.getPublicKey === 'function'
    } catch {
      return false
    }
  }
  const deadline = Date.now() + settleMs
  while (!has() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  return has()
}

/**
 * Looks for a NIP-07 signer in the first few open http(s) tabs, for
 * onboarding. A page can fake `window.nostr`, so this only decides what the
 * popup suggests; connecting still asks the signer and verifies every event.
 */
export async function detectNip07Signer(
  deps: Pick<Nip07Deps, 'executeInTab' | 'candidateTabs' | 'pollMs'>,
): Promise<Nip07Presence> {
  const tabs = (await deps.candidateTabs()).slice(0, DETECT_TABS)
  if (tabs.length === 0) return 'no-tab'
  for (const tabId of tabs) {
    try {
      if (
        (await deps.executeInTab(tabId, nip07PagePresence, [SETTLE_MS, deps.pollMs ?? 100])) ===
        true
      ) {
        return 'found'
      }
    } catch {
      // A closed or restricted tab just has no signer to offer.
    }
  }
  return 'none'
}

/** A NIP-07 signer for `pubkey` whose every event is checked (pubkey, content, signature). */
export function verifiedNip07Signer(deps: Nip07Deps, pubkey: string): Signer {
  return createVerifyingSigner(createNip07Signer({ ...deps, expectedPubkey: pubkey }), pubkey)
}

/** The page's answer, or undefined when it is too large or not a {@link PageResult}. */
function readPageResult(raw: unknown): PageResult | undefined {
  let size: number
  try {
    size = JSON.stringify(raw).length
  } catch {
    return undefined
  }
  if (size > MAX_RESULT_CHARS || typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  if (r.ok === true && 'value' in r) return { ok: true, value: r.value }
  if (r.ok === false && typeof r.error === 'string') {
    return { ok: false, error: r.error.slice(0, 200) }
  }
  return undefined
}

/** Field types only; `createVerifyingSigner` checks the values. */
function looksLikeEvent(value: unknown): value is NostrEvent {
  if (typeof value !== 'object' || value === null) return false
  const ev = value as Record<string, unknown>
  return (
    typeof ev.id === 'string' &&
    typeof ev.pubkey === 'string' &&
    typeof ev.sig === 'string' &&
    typeof ev.kind === 'number' &&
    typeof ev.created_at === 'number' &&
    typeof ev.content === 'string' &&
    Array.isArray(ev.tags)
  )
}
