import { nip19 } from 'nostr-tools'

/**
 * The few things a user does in the popup, written against a minimal page
 * interface that both Playwright and puppeteer pages satisfy through adapters.
 */
export interface PopupDriver {
  click(selector: string): Promise<void>
  fill(selector: string, value: string): Promise<void>
  text(selector: string): Promise<string>
  count(selector: string): Promise<number>
  attributes(selector: string, name: string): Promise<string[]>
}

export const byId = (testId: string): string => `[data-testid="${testId}"]`

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (e) {
      lastError = e
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

export type PopupView = 'wallet' | 'activity' | 'settings'

/** Opens one of the popup's three views, as a user clicks its button. */
export async function showView(d: PopupDriver, view: PopupView): Promise<void> {
  await waitFor(`the ${view} button`, async () =>
    (await d.count(byId(`view-${view}`))) > 0 ? true : undefined,
  )
  await d.click(byId(`view-${view}`))
}

/** The npub the Settings view shows, read from there and back to the wallet. */
async function settingsNpub(d: PopupDriver, accept: (npub: string) => boolean): Promise<string> {
  await showView(d, 'settings')
  const npub = await waitFor('an npub in the popup', async () => {
    const t = (await d.text(byId('npub'))).trim()
    return accept(t) ? t : undefined
  })
  await showView(d, 'wallet')
  return npub
}

/** The password the tests protect their keys with. */
export const TEST_PASSWORD = 'correct horse battery'

/** Generates a fresh seeding key protected by a password and returns its hex pubkey as the popup shows it. */
export async function generateKey(d: PopupDriver, password = TEST_PASSWORD): Promise<string> {
  await waitFor('the generate-key button', async () =>
    (await d.count(byId('generate-key'))) > 0 ? true : undefined,
  )
  await d.fill(byId('new-key-password'), password)
  await d.fill(byId('new-key-confirm'), password)
  await d.click(byId('generate-key'))
  // A key that can sign moves from the wallet view to Settings.
  await waitFor('the new key', async () =>
    (await d.count(byId('balance'))) > 0 ? true : undefined,
  )
  const npub = await settingsNpub(d, (t) => t.startsWith('npub1'))
  const decoded = nip19.decode(npub)
  if (decoded.type !== 'npub') throw new Error(`popup shows ${npub}, not an npub`)
  return decoded.data
}

/** Replaces the configured relays with exactly `relayUrl`. */
export async function useOnlyRelay(d: PopupDriver, relayUrl: string): Promise<void> {
  await showView(d, 'settings')
  await d.fill(byId('relay-input'), relayUrl)
  await d.click(byId('add-relay'))
  await waitFor(`relay ${relayUrl} listed`, async () =>
    (await d.attributes(byId('relay-row'), 'data-url')).includes(relayUrl) ? true : undefined,
  )
  for (;;) {
    const others = (await d.attributes(byId('relay-row'), 'data-url')).filter((u) => u !== relayUrl)
    const first = others[0]
    if (first === undefined) break
    await d.click(`${byId('relay-row')}[data-url="${first}"] ${byId('remove-relay')}`)
    await waitFor(`relay ${first} removed`, async () =>
      (await d.attributes(byId('relay-row'), 'data-url')).includes(first) ? undefined : true,
    )
  }
}

/** Imports an existing key (nsec, hex or ncryptsec) and waits until the popup shows its npub. */
export async function importKey(
  d: PopupDriver,
  key: string,
  expectedNpub: string,
  password = TEST_PASSWORD,
): Promise<void> {
  await waitFor('the key import field', async () =>
    (await d.count(byId('import-key-input'))) > 0 ? true : undefined,
  )
  await d.fill(byId('import-key-input'), key)
  await d.fill(byId('import-key-password'), password)
  if (!key.startsWith('ncryptsec1')) await d.fill(byId('import-key-confirm'), password)
  await d.click(byId('import-key'))
  await waitFor('the imported key', async () =>
    (await d.count(byId('balance'))) > 0 ? true : undefined,
  )
  await settingsNpub(d, (t) => t === expectedNpub)
}

export type PromptButton = 'allow-site' | 'allow-once' | 'block' | 'decline'

/**
 * Answers the consent prompt for a site the way a user does: waits until the
 * popup asks about `origin`, clicks one button, and waits until that
 * question is gone. Returns the prompt's estimated cost in TSEED.
 */
export async function answerPrompt(
  d: PopupDriver,
  origin: string,
  button: PromptButton,
): Promise<bigint> {
  const prompt = `${byId('consent-prompt')}[data-origin="${origin}"]`
  const heldId = await waitFor(`the consent prompt for ${origin}`, async () => {
    const ids = await d.attributes(prompt, 'data-held-id')
    return ids[0]
  })
  const tokens = (await d.attributes(`${prompt} ${byId('prompt-cost')}`, 'data-tokens'))[0] ?? '0'
  await d.click(`${prompt} ${byId(`prompt-${button}`)}`)
  await waitFor(`the prompt for announce ${heldId} to close`, async () =>
    (await d.count(`${byId('consent-prompt')}[data-held-id="${heldId}"]`)) === 0 ? true : undefined,
  )
  return BigInt(tokens)
}

/** Sets an allowed site's daily budget in the popup's site list. */
export async function setSiteBudget(d: PopupDriver, origin: string, tokens: bigint): Promise<void> {
  await showView(d, 'settings')
  const row = `${byId('site-row')}[data-origin="${origin}"]`
  await d.fill(`${row} ${byId('site-budget-input')}`, tokens.toString())
  await d.click(`${row} ${byId('site-budget-save')}`)
  await waitFor(`the budget of ${origin}`, async () =>
    (await d.text(`${row} ${byId('site-spent')}`)).includes(`of ${tokens} TSEED`)
      ? true
      : undefined,
  )
}

/**
 * Sets the key's spending limit on one relay from the popup (an empty string
 * is "no limit"), once the popup shows the relay's current limit.
 */
export async function setRelayLimits(
  d: PopupDriver,
  relayUrl: string,
  perHour: string,
  perDay: string,
): Promise<void> {
  await showView(d, 'settings')
  const row = `${byId('relay-limit-row')}[data-relay="${relayUrl}"]`
  await waitFor(`the spending limit of ${relayUrl}`, async () =>
    (await d.count(`${row} ${byId('relay-limit-save')}`)) > 0 ? true : undefined,
  )
  await d.fill(`${row} ${byId('relay-limit-hour')}`, perHour)
  await d.fill(`${row} ${byId('relay-limit-day')}`, perDay)
  await d.click(`${row} ${byId('relay-limit-save')}`)
  const expected = `${perHour === '' ? 'no limit per hour' : `${perHour} TSEED per hour`}, ${
    perDay === '' ? 'no limit per day' : `${perDay} TSEED per day`
  }`
  await waitFor(`the new limit of ${relayUrl}`, async () =>
    (await d.text(`${row} ${byId('relay-limit-text')}`)) === expected ? true : undefined,
  )
}
