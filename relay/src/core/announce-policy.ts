import type { NostrEvent } from 'nostr-tools/core'
import type { Kind21000Announce } from '../../../src/nostr/kind21000'
import type { RelayClient } from './client'

/** A policy verdict. A refusal's message goes out verbatim as the OK reason. */
export type PolicyDecision = { accept: true } | { accept: false; message: string }

/**
 * Decides whether a valid, signed, current announce is stored and broadcast.
 * It runs after validation and before storage, once per announce and never
 * concurrently for the same (pubkey, info hash, session). This is where the
 * ledger charges downloads and pays uploads; a refusal leaves no trace.
 *
 * A policy that answers synchronously, writing on the announce store's own
 * database handle (the SQLite ledger does), runs inside the relay's group
 * commit: its writes and the announce's share one savepoint, so both commit
 * together or neither does, and the OK goes out only after the commit. A
 * policy that returns a promise keeps whatever it wrote synchronously; the
 * announce is stored in a later group once the promise settles.
 *
 * @example
 * const policy: AnnouncePolicy = async (ev, announce) =>
 *   (await balanceOf(ev.pubkey)) >= price(announce)
 *     ? { accept: true }
 *     : { accept: false, message: 'blocked: insufficient balance: need 5 TSEED, have 0' }
 */
export type AnnouncePolicy = ((
  ev: NostrEvent,
  announce: Kind21000Announce,
  client: RelayClient,
) => PolicyDecision | Promise<PolicyDecision>) & {
  /**
   * Called in the announce's unit just before the relay's own recheck read,
   * and, with `touches`, when the group asks for its rounds' reads, so a
   * policy backed by the relay's database can send its first reads along
   * with the relay's (see readAhead in store/database.ts). Optional.
   */
  readAhead?: (ev: NostrEvent, announce: Kind21000Announce) => void
  /**
   * Scope keys (scopeKey in store/database.ts) covering every row whose
   * value decides what the policy writes for this announce; rows it only
   * appends to or adds to need none. With them, the relay runs the
   * announce's unit scoped, and on PostgreSQL announces that share no key
   * share round trips and statements (docs/ledger.md). Optional: without
   * it, a group's announces run one after another as before.
   */
  touches?: (ev: NostrEvent, announce: Kind21000Announce) => readonly string[]
}

/** The default policy: every valid announce is accepted. */
export const acceptAllAnnounces: AnnouncePolicy = () => ({ accept: true })
