/**
 * NIP-98 on the API: every authenticated request carries
 * `Authorization: Nostr <base64 kind 27235 event>` signed for the exact
 * absolute URL, the method and the SHA-256 of the raw body, within 60 s of
 * the relay's clock. Each event id is accepted once (NIP-98 itself has no
 * replay protection), on reads too, so a captured header is worth nothing.
 */
import type { IncomingMessage } from 'node:http'
import type { NostrEvent } from 'nostr-tools/core'
import {
  DEFAULT_WINDOW_SECONDS,
  ReplayGuard,
  verifyAuthHeader,
  type Nip98Auth,
} from '../../../src/nostr/nip98'
import { publicUrl } from './http'
import type { ReplayCheck } from './shared-replay-guard'

export interface AuthenticatorOptions {
  /** Unix seconds. */
  now: () => number
  /** Rebuild the public URL from X-Forwarded-* (only behind a proxy the operator runs). */
  trustProxy: boolean
  windowSeconds?: number
  /** Most auth event ids remembered at once; beyond it requests get 429 until old ones expire. */
  maxReplayEntries?: number
  /** Signature check; defaults to nostr-tools' pure verifier. */
  verify?: (event: NostrEvent) => boolean
  /**
   * Where used ids are remembered; by default in this process's memory.
   * Relay processes sharing a database pass a SharedReplayGuard.
   */
  replay?: ReplayCheck
}

/** Checks NIP-98 headers against the request they came with. */
export class Authenticator {
  private readonly options: AuthenticatorOptions
  private readonly replay: ReplayCheck
  private readonly windowSeconds: number

  constructor(options: AuthenticatorOptions) {
    this.options = options
    this.windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS
    this.replay =
      options.replay ??
      new ReplayGuard({
        now: options.now,
        windowSeconds: this.windowSeconds,
        ...(options.maxReplayEntries !== undefined ? { maxEntries: options.maxReplayEntries } : {}),
      })
  }

  /**
   * The authenticated caller, or a thrown Nip98Error (`reason` says which
   * check failed: url, method, payload, timestamp, signature, replay, …).
   */
  authenticate(req: IncomingMessage, body: Uint8Array): Nip98Auth {
    const header = req.headers.authorization
    const auth = verifyAuthHeader(header, {
      url: publicUrl(req, this.options.trustProxy),
      method: req.method ?? 'GET',
      body,
      now: this.options.now(),
      windowSeconds: this.windowSeconds,
      ...(this.options.verify !== undefined ? { verify: this.options.verify } : {}),
    })
    // Only a header that passed every check is remembered, so junk cannot fill the guard.
    this.replay.check(auth.eventId, auth.createdAt)
    return auth
  }
}
