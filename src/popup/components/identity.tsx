import { FieldForm } from './form'

export interface IdentityProps {
  npub: string | null
  onGenerate: () => void
  onImport: (key: string) => Promise<boolean>
}

/** The seeding key: its npub, and ways to create or import one. */
export function IdentitySection(p: IdentityProps) {
  return (
    <section class="card" aria-labelledby="identity-title">
      <h2 id="identity-title">Seeding key</h2>
      {p.npub !== null ? (
        <p class="npub" data-testid="npub" title="Your public key">
          {p.npub}
        </p>
      ) : (
        <p class="muted" data-testid="no-key">
          No key yet. Announces wait in the queue until you create or import one.
        </p>
      )}
      <p class="notice" data-testid="key-storage-notice">
        Temporary: the key is kept only in this browser session and is lost when the browser closes.
        Encrypted key storage (NIP-49) will replace this.
      </p>
      <div class="row">
        <button type="button" data-testid="generate-key" onClick={p.onGenerate}>
          {p.npub === null ? 'Generate a seeding key' : 'Replace with a new key'}
        </button>
      </div>
      <FieldForm
        name="key"
        secret
        placeholder="nsec1… or 64 hex"
        label="Secret key to import"
        action="Import"
        inputTestId="import-key-input"
        buttonTestId="import-key"
        onSubmit={p.onImport}
      />
    </section>
  )
}
