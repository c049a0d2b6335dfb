import { DEFAULT_WINDOW_SECONDS, Nip98Error } from '../../../src/nostr/nip98'
import type { SqlDatabase, SqlStatement } from '../store/database'

/** What the authenticator asks of a replay guard: accept an auth event id once. */
export interface ReplayCheck {
  /** Throws Nip98Error `replay` when the id was already used within its window. */
  check(eventId: string, createdAt: number): void
}

/** How often, in seconds, expired ids are deleted. */
const SWEEP_EVERY_SECONDS = 60

/**
 * NIP-98 replay protection kept in the database (`api_auth_seen`), for relay
 * processes that share one PostgreSQL database: a header accepted by one
 * process is refused by every other. The check and the insert run in one
 * write transaction, which the relay's write lock serialises across
 * processes, so two processes cannot both accept the same header.
 */
export class SharedReplayGuard implements ReplayCheck {
  private readonly seen: SqlStatement
  private readonly remember: SqlStatement
  private readonly sweep: SqlStatement
  private nextSweep = 0

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    private readonly windowSeconds = DEFAULT_WINDOW_SECONDS,
  ) {
    this.seen = db.prepare('SELECT until FROM api_auth_seen WHERE event_id = ?').pluck()
    this.remember = db.prepare(
      `INSERT INTO api_auth_seen (event_id, until) VALUES (?, ?)
       ON CONFLICT (event_id) DO UPDATE SET until = excluded.until`,
    )
    this.sweep = db.prepare('DELETE FROM api_auth_seen WHERE until < ?')
  }

  check(eventId: string, createdAt: number): void {
    const now = this.now()
    this.db
      .transaction(() => {
        const until = this.seen.get(eventId) as number | undefined
        if (until !== undefined && until >= now) {
          throw new Nip98Error('replay', 'auth event was already used')
        }
        this.remember.run(eventId, Math.max(createdAt + this.windowSeconds, now))
        if (now >= this.nextSweep) {
          this.sweep.run(now)
          this.nextSweep = now + SWEEP_EVERY_SECONDS
        }
      })
      .immediate()
  }
}
