import type { KeyState } from './encrypted-key-identity'

/**
 * The identity's state on its own, so the popup can read it without
 * bundling the signers themselves.
 */

/** `external`: an outside signer (NIP-07 or NIP-46) holds the key; nothing to lock here. */
export type IdentityState = KeyState | 'external'

/** Whether the identity can sign now (an outside signer may still fail or refuse, per request). */
export function canSign(state: IdentityState): boolean {
  return state === 'unlocked' || state === 'unprotected' || state === 'external'
}
