/**
 * `--db-read`: REQ queries from a PostgreSQL read replica (a streaming hot
 * standby of the test cluster), writes on the primary.
 */
import type { NostrEvent } from 'nostr-tools/core'
import type { Filter } from 'nostr-tools/filter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startThrowawayCluster,
  startThrowawayReplica,
  type ThrowawayCluster,
} from '../../relay/src/store/pg/throwaway-cluster'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { freshSchema, postgresUrl } from '../support/postgres'
import { connectNostr, publish, quiet, signAnnounce, startQuietRelay } from '../support/tseed-relay'
import { generateSecretKey } from 'nostr-tools/pure'

// A primary of its own, small and quiet, rather than the run's busy test cluster:
// a base backup copies the whole cluster.
const enabled = postgresUrl() !== undefined

describe.skipIf(!enabled)('a relay reading REQs from a PostgreSQL read replica', () => {
  let primary: ThrowawayCluster
  let replica: ThrowawayCluster
  let relay: RunningTseedRelay
  const schema = freshSchema()

  beforeAll(async () => {
    primary = await startThrowawayCluster()
    replica = await startThrowawayReplica(primary)
    relay = await startQuietRelay({
      db: `${primary.url}?schema=${schema}`,
      dbRead: `${replica.url}?schema=${schema}`,
    })
  }, 60_000)

  afterAll(async () => {
    await relay.close()
    replica.stop()
    primary.stop()
  })

  const req = async (filter: Filter): Promise<NostrEvent[] | string> => {
    const conn = await connectNostr(relay.url)
    try {
      return await new Promise((resolve) => {
        const got: NostrEvent[] = []
        conn.subscribe([filter], {
          onevent: (ev) => got.push(ev),
          oneose: () => {
            resolve(got)
          },
          onclose: (reason) => {
            resolve(reason)
          },
        })
      })
    } finally {
      conn.close()
    }
  }

  it('finds on the replica what the primary stored, and keeps accepting when the replica is gone', async () => {
    const conn = await connectNostr(relay.url)
    const ev = signAnnounce(generateSecretKey(), {
      infoHash: 'a1'.repeat(20),
      uploaded: 1_000_000n,
      left: 0n,
    })
    expect(await publish(conn, ev)).toEqual({ ok: true, message: '' })
    // Replication is asynchronous: the announce reaches the replica a moment later.
    await expect
      .poll(
        async () => {
          const r = await req({ ids: [ev.id] })
          return typeof r === 'string' ? r : r.map((e) => e.id)
        },
        { timeout: 10_000 },
      )
      .toEqual([ev.id])

    // Without the replica REQ fails, plainly, while announces still go to the primary.
    replica.stop()
    expect(await req({ ids: [ev.id] })).toBe('error: could not query stored announces')
    const next = signAnnounce(generateSecretKey(), {
      infoHash: 'a2'.repeat(20),
      uploaded: 1_000_000n,
      left: 0n,
    })
    expect(await publish(conn, next)).toEqual({ ok: true, message: '' })
    conn.close()
  })

  it('is refused with a SQLite database', async () => {
    await expect(
      startQuietRelay({ db: ':memory:', dbRead: 'postgres://127.0.0.1:1/x', logger: quiet }),
    ).rejects.toThrow('a read replica (--db-read) needs a PostgreSQL --db')
  })
})
