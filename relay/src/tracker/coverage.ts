/**
 * The tracker's admission rule for leechers: an announce is accepted only
 * when, after the ledger has charged what it reports, the balance still
 * covers what is left of the torrent at the swarm's current price.
 *
 * Why the tracker asks more than the ledger: the ledger charges bytes after
 * they moved, so a leecher with no funds is refused only at its first
 * announce with a download to charge. A desktop client announces every
 * half hour or so, which would let an unfunded client download for that
 * long on the strength of a `started` announce. Checked here, it is refused
 * from its first announce and gets no peers. What the ledger charges, and
 * how, is unchanged.
 */
import { quoteDownload } from '../../../src/balance/pricing'
import type { GroupWork } from '../core/group-commit'
import type { AnnounceOutcome, VerifiedAnnounce } from '../ledger/announce-accounting'
import type { Ledger } from '../ledger/ledger'

/**
 * One announce's unit of the tracker's group commit: the ledger's
 * accounting, then the coverage check. A refusal of either rolls the unit
 * back, so, as for any ledger refusal, nothing is written and the same delta
 * is charged on a later announce.
 */
export function accountWithCoverage(
  ledger: Ledger,
  input: VerifiedAnnounce,
  now: number,
): GroupWork<AnnounceOutcome> {
  const a = input.announce
  const leeching = a.left > 0n && a.event !== 'stopped'
  const before = leeching ? ledger.balances(input.pubkey).TSEED : 0n
  const outcome = ledger.applyAnnounce(input, now)
  if (!outcome.accept) return { value: outcome, rollback: true }
  if (!leeching) return { value: outcome }
  const rest = quoteDownload(a.left, ledger.swarmPrice(a.infoHash, now)).tokens
  if (before - outcome.charged >= rest) return { value: outcome }
  return {
    value: {
      accept: false,
      // The ledger's own wording, so clients and the extension read one message.
      message: `blocked: insufficient balance: need ${outcome.charged + rest} TSEED, have ${before}`,
    },
    rollback: true,
  }
}
