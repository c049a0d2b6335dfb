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
   * so a policy backed by the relay's database can send its first read
   * along with it (see readAhead in store/database.ts). Optional.
   */
  readAhead?: (ev: NostrEvent, announce: Kind21000Announce) => void
  /**
   * The keys of every row the policy reads or writes for this announce
   * (scopeKey in store/database.ts). With them, the relay runs the
   * announce's unit scoped, and on PostgreSQL its reads may go ahead of an
   * unrelated announce's writes. Optional: without it, they wait.
   */
  touches?: (ev: NostrEvent, announce: Kind21000Announce) => readonly string[]
}

/** The default policy: every valid announce is accepted. */
export const acceptAllAnnounces: AnnouncePolicy = () => ({ accept: true })
