/**
 * The content script's line to the background, without webextension-polyfill
 * (the script must stay small): Firefox's `browser` and Chrome's `chrome`
 * both return a promise from `runtime.sendMessage` in Manifest V3.
 */
import type { Envelope } from '../background/messages'

interface RuntimeLike {
  sendMessage(message: unknown): Promise<unknown>
}

function runtime(): RuntimeLike | undefined {
  const g = globalThis as {
    browser?: { runtime?: RuntimeLike }
    chrome?: { runtime?: RuntimeLike }
  }
  return g.browser?.runtime ?? g.chrome?.runtime
}

/** Calls a content route; a reply that is not an envelope (or no reply) becomes an error envelope. */
export async function callBackground<T>(type: string, params: unknown): Promise<Envelope<T>> {
  const rt = runtime()
  if (rt === undefined) return { ok: false, error: 'no extension runtime' }
  try {
    const reply: unknown = await rt.sendMessage({ type, params })
    if (
      typeof reply !== 'object' ||
      reply === null ||
      typeof (reply as { ok?: unknown }).ok !== 'boolean'
    ) {
      return { ok: false, error: 'no answer from the extension' }
    }
    return reply as Envelope<T>
  } catch (e) {
    // An updated or removed extension leaves its old content scripts without a background.
    return { ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}
