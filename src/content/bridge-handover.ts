/**
 * How the background hands a secret to a bridge it injects into a tab that
 * was open before the extension was installed or updated. Both names live in
 * the extension's isolated world, which the page cannot see.
 */

/** Set by every running bridge; `alive()` is false once the extension was reloaded under it. */
export const BRIDGE_GLOBAL = '__tseedWsBridge'
/** Set by {@link adoptSecretUnlessBridged} just before the bridge file is injected. */
export const GIVEN_SECRET_GLOBAL = '__tseedWsGivenSecret'

export interface BridgeMarker {
  alive(): boolean
}

/**
 * Run by `scripting.executeScript` in the ISOLATED world of every frame of an
 * open tab. Returns false where a live bridge already runs (the page loaded
 * after install), so nothing is injected twice; otherwise leaves the secret
 * for the bridge file injected next and returns true.
 *
 * Self-contained on purpose: the browser serialises it to source text.
 */
export function adoptSecretUnlessBridged(secret: string): boolean {
  const g = globalThis as unknown as Record<string, unknown>
  const marker = g.__tseedWsBridge as BridgeMarker | undefined
  try {
    if (marker !== undefined && marker.alive()) return false
  } catch {
    // A bridge left by an unloaded version may throw on any use: treat it as gone.
  }
  g.__tseedWsGivenSecret = secret
  return true
}
