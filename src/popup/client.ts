import type { Handlers } from '../background/handlers'
import type { Envelope } from '../background/messages'

/**
 * Calls a background route with its parameters and resolves to its result,
 * both typed from the handler map: `send('addRelay', { url })`.
 */
export type Send = <K extends keyof Handlers>(
  type: K,
  ...params: Parameters<Handlers[K]>
) => Promise<Awaited<ReturnType<Handlers[K]>>>

/** The background answered with an error, or not at all. */
export class BackgroundError extends Error {
  override name = 'BackgroundError'
}

/** Builds the popup's client on top of `runtime.sendMessage`. */
export function createSend(sendMessage: (message: unknown) => Promise<unknown>): Send {
  return async function send<K extends keyof Handlers>(
    type: K,
    ...params: Parameters<Handlers[K]>
  ): Promise<Awaited<ReturnType<Handlers[K]>>> {
    let reply: unknown
    try {
      reply = await sendMessage({ type, params: params[0] })
    } catch (e) {
      throw new BackgroundError(
        `The extension background is not answering: ${(e as Error).message}`,
      )
    }
    if (!isEnvelope(reply)) throw new BackgroundError('The extension background gave no answer')
    if (!reply.ok) throw new BackgroundError(reply.error)
    return reply.data as Awaited<ReturnType<Handlers[K]>>
  }
}

function isEnvelope(v: unknown): v is Envelope<unknown> {
  if (typeof v !== 'object' || v === null) return false
  const e = v as { ok?: unknown; error?: unknown }
  return e.ok === true || (e.ok === false && typeof e.error === 'string')
}
