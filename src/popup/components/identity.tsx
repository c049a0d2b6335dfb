import type { IdentityState } from '../../background/signer/identity-state'
import type { Nip07Presence } from '../../background/signer/nip07-signer'
import { NostrConnectSection, type NostrConnectProps } from './nostr-connect'
import { SecretInput, submitFields } from './form'

export interface IdentityProps {
  keyState: IdentityState
  npub: string | null
  autoLockMinutes: number
  /** The key as the user exported it, shown until the popup closes. */
  exported: { nsec: string; ncryptsec: string } | null
  onGenerate: (password: string, confirm: string) => Promise<boolean>
  onImport: (key: string, password: string, confirm: string) => Promise<boolean>
  onUnlock: (password: string) => Promise<boolean>
  onLock: () => void
  onProtect: (password: string, confirm: string) => Promise<boolean>
  onExport: (password: string) => Promise<boolean>
  onAutoLock: (minutes: number) => void
  /** Which outside signer holds the key, when `keyState` is `external`. */
  signerKind: 'local' | 'nip07' | 'nip46'
  onUseNip07: () => void
  /** Whether a NIP-07 signer showed in an open tab; null while looking or not looked. */
  nip07Presence: Nip07Presence | null
  /** The `nostrconnect://` flow for a signer app. */
  nostrConnect: NostrConnectProps
  onUseBunker: (uri: string) => Promise<boolean>
  onUseLocal: () => void
}

export const AUTO_LOCK_CHOICES: readonly { minutes: number; label: string }[] = [
  { minutes: 0, label: 'when the browser closes' },
  { minutes: 15, label: 'after 15 minutes unused' },
  { minutes: 60, label: 'after 1 hour unused' },
  { minutes: 240, label: 'after 4 hours unused' },
  { minutes: 1440, label: 'after 1 day unused' },
]

/**
 * The seeding key: whose it is, whether it is unlocked, and what to do
 * next. The key is stored only encrypted with the user's password (NIP-49).
 */
export function IdentitySection(p: IdentityProps) {
  return (
    <section
      class="card"
      aria-labelledby="identity-title"
      data-testid="identity"
      data-key-state={p.keyState}
    >
      <h2 id="identity-title">Seeding key</h2>
      {p.npub !== null ? (
        <p class="npub" data-testid="npub" title="Your public key">
          {p.npub}
        </p>
      ) : (
        <p class="muted" data-testid="no-key">
          No key yet; announces wait until you have one. Create a key used only for seeding:
          announces say publicly which torrents it is in.
        </p>
      )}
      {p.keyState === 'external' ? (
        <>
          <p class="notice" data-testid="external-signer">
            {p.signerKind === 'nip07'
              ? 'Signed by your Nostr signer extension (NIP-07) in an open web tab; announces wait while no tab with it is open.'
              : 'Signed by your remote signer (NIP-46 bunker).'}{' '}
            Announces are public: if this is your social identity, everyone can see which torrents
            it is in.
          </p>
          <div class="row">
            <button
              type="button"
              class="secondary"
              data-testid="use-local-key"
              onClick={p.onUseLocal}
            >
              Use a key stored here instead
            </button>
          </div>
        </>
      ) : null}
      {p.keyState === 'locked' ? <UnlockForm onUnlock={p.onUnlock} /> : null}
      {p.keyState === 'unprotected' ? <ProtectForm onProtect={p.onProtect} /> : null}
      {p.keyState === 'unlocked' ? (
        <>
          <p class="muted" data-testid="key-storage-notice">
            Stored encrypted with your password (NIP-49). Unlocked; locks{' '}
            {AUTO_LOCK_CHOICES.find((c) => c.minutes === p.autoLockMinutes)?.label ??
              `after ${p.autoLockMinutes} minutes unused`}
            .
          </p>
          <div class="row">
            <button type="button" class="secondary" data-testid="lock-key" onClick={p.onLock}>
              Lock now
            </button>
            <label class="inline-label">
              Lock
              <select
                data-testid="auto-lock"
                value={String(p.autoLockMinutes)}
                onChange={(e) => {
                  p.onAutoLock(Number(e.currentTarget.value))
                }}
              >
                {AUTO_LOCK_CHOICES.map((c) => (
                  <option key={c.minutes} value={String(c.minutes)}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ExportForm exported={p.exported} onExport={p.onExport} />
        </>
      ) : null}
      {p.keyState === 'none' ? (
        <NewKeyForms {...p} />
      ) : (
        <details class="replace" data-testid="replace-key">
          <summary>Use another key</summary>
          <NewKeyForms {...p} />
        </details>
      )}
    </section>
  )
}

const PRESENCE_TEXT: Record<Nip07Presence, string> = {
  found: 'A signer extension is active in one of your open tabs.',
  none: 'No signer extension found in your open tabs. Install Alby or nos2x, or open a website.',
  'no-tab': 'Open any website in a tab to use a signer extension: it works inside web pages.',
}

/** The three ways to sign, each said in one line; a dedicated key kept here comes first. */
function NewKeyForms(p: IdentityProps) {
  return (
    <>
      <h3>A new seeding key (recommended)</h3>
      <p class="muted">Made here and stored encrypted with your password; used only for seeding.</p>
      <form
        class="stack"
        onSubmit={submitFields(['password', 'confirm'], (v) => p.onGenerate(v.password, v.confirm))}
      >
        <SecretInput name="password" label="New password for the key" testId="new-key-password" />
        <SecretInput name="confirm" label="Repeat the password" testId="new-key-confirm" />
        <button type="submit" data-testid="generate-key">
          Generate a seeding key
        </button>
      </form>
      <h3>A key you already have</h3>
      <p class="muted">Paste it once; it is stored encrypted like a new one.</p>
      <form
        class="stack"
        onSubmit={submitFields(['key', 'password', 'confirm'], (v) =>
          p.onImport(v.key, v.password, v.confirm),
        )}
      >
        <SecretInput
          name="key"
          label="Secret key to import"
          placeholder="nsec1…, 64 hex or ncryptsec1…"
          autocomplete="off"
          testId="import-key-input"
        />
        <SecretInput
          name="password"
          label="Password (an ncryptsec's own, or a new one)"
          testId="import-key-password"
        />
        <SecretInput
          name="confirm"
          label="Repeat a new password (not for ncryptsec)"
          testId="import-key-confirm"
        />
        <button type="submit" class="secondary" data-testid="import-key">
          Import
        </button>
      </form>
      <h3>Your signer extension (NIP-07)</h3>
      <p class="muted">
        Alby, nos2x and others sign in an open website tab; the key never leaves them.
      </p>
      {p.nip07Presence !== null ? (
        <p
          class={p.nip07Presence === 'found' ? 'ok-text' : 'muted'}
          data-testid="nip07-presence"
          data-presence={p.nip07Presence}
        >
          {PRESENCE_TEXT[p.nip07Presence]}
        </p>
      ) : null}
      <div class="row">
        <button type="button" class="secondary" data-testid="use-nip07" onClick={p.onUseNip07}>
          Use my signer extension (NIP-07)
        </button>
      </div>
      <h3>A remote signer (NIP-46)</h3>
      <p class="muted">The key stays in your signer app or server, which signs each announce.</p>
      <NostrConnectSection {...p.nostrConnect} />
      <p class="muted">Or paste the bunker address your signer gave you:</p>
      <form class="row" onSubmit={submitFields(['uri'], (v) => p.onUseBunker(v.uri))}>
        <SecretInput
          name="uri"
          label="Remote signer address (NIP-46 bunker URI)"
          placeholder="bunker://…"
          autocomplete="off"
          testId="bunker-uri"
        />
        <button type="submit" class="secondary" data-testid="connect-bunker">
          Connect bunker
        </button>
      </form>
    </>
  )
}

function UnlockForm(p: { onUnlock: IdentityProps['onUnlock'] }) {
  return (
    <form class="stack" onSubmit={submitFields(['password'], (v) => p.onUnlock(v.password))}>
      <p class="notice" data-testid="key-locked">
        Locked: announces wait until you unlock the key.
      </p>
      <SecretInput
        name="password"
        label="Password of the key"
        placeholder="Password"
        autocomplete="current-password"
        testId="unlock-password"
      />
      <button type="submit" data-testid="unlock-key">
        Unlock
      </button>
    </form>
  )
}

function ProtectForm(p: { onProtect: IdentityProps['onProtect'] }) {
  return (
    <form
      class="stack"
      onSubmit={submitFields(['password', 'confirm'], (v) => p.onProtect(v.password, v.confirm))}
    >
      <p class="notice" data-testid="key-unprotected">
        This key is kept only until the browser closes. Protect it with a password to keep it.
      </p>
      <SecretInput name="password" label="New password for the key" testId="protect-password" />
      <SecretInput name="confirm" label="Repeat the password" testId="protect-confirm" />
      <button type="submit" data-testid="protect-key">
        Protect with a password
      </button>
    </form>
  )
}

function ExportForm(p: Pick<IdentityProps, 'exported' | 'onExport'>) {
  return (
    <details class="replace" data-testid="export">
      <summary>Export the key</summary>
      {p.exported === null ? (
        <form class="stack" onSubmit={submitFields(['password'], (v) => p.onExport(v.password))}>
          <SecretInput
            name="password"
            label="Password of the key, to export it"
            placeholder="Password"
            autocomplete="current-password"
            testId="export-password"
          />
          <button type="submit" class="secondary" data-testid="export-key">
            Show the key
          </button>
        </form>
      ) : (
        <>
          <p class="notice">Anyone who sees the nsec can sign as you. Keep it private.</p>
          <p class="npub" data-testid="export-nsec">
            {p.exported.nsec}
          </p>
          <p class="npub" data-testid="export-ncryptsec">
            {p.exported.ncryptsec}
          </p>
        </>
      )}
    </details>
  )
}
