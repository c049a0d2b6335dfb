/**
 * `npm run relay -- settle --db FILE`: runs one escrow settlement now, as the
 * relay's timer does every `--settle-interval`, and prints each payout and
 * refund. For an operator (or a demo) that wants uploads paid without waiting
 * for the timer; the ledger's transaction makes it safe while the relay runs.
 */
import { formatAmount } from '../../../src/balance/currency'
import { dbFlag, defineCommand, withLedger } from './io'

export const settleCommand = defineCommand<{ db: string }>({
  name: 'settle',
  summary: 'pay uploads out of escrow and refund lapsed escrow now',
  description:
    'Runs one escrow settlement now, as the relay does every --settle-interval: pays open upload\n' +
    'claims out of each swarm escrow, lapses old claims and refunds old escrow (docs/ledger.md,\n' +
    '"Escrow"). Prints every payout and refund. Safe while the relay runs on the same file.',
  flags: [dbFlag()],
  defaults: {},
  run: ({ db }, _args, io) => {
    const r = withLedger(db, true, (ledger) => ledger.settle(Math.floor(Date.now() / 1000)))
    const lines = [
      ...r.payouts.map(
        (p) =>
          `payout urn:swarm:${p.infoHash} -> did:nostr:${p.pubkey}: ${formatAmount(p.amount - p.fee, 'TSEED')}` +
          (p.fee > 0n ? ` (fee ${formatAmount(p.fee, 'TSEED')})` : ''),
      ),
      ...r.refunds.map(
        (f) =>
          `refund urn:swarm:${f.infoHash} -> did:nostr:${f.pubkey}: ${formatAmount(f.amount, 'TSEED')}`,
      ),
      `settled: ${r.payouts.length} payouts, ${r.refunds.length} refunds, ${r.lapsedClaims} claims lapsed`,
    ]
    io.out(lines.join('\n') + '\n')
    return 0
  },
})
