import type { EventTemplate, NostrEvent } from 'nostr-tools/core'

/**
 * Anything that can sign for one pubkey: the local key today, NIP-07 and
 * NIP-46 later. Callers never trust an implementation's output as is; wrap it
 * with `createVerifyingSigner`.
 */
export interface Signer {
  getPublicKey(): Promise<string>
  signEvent(template: EventTemplate): Promise<NostrEvent>
}
