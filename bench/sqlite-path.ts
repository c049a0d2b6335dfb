/**
 * `npx tsx bench/sqlite-path.ts [--events N] [--group N] [--pragma P]…`: the
 * relay's SQLite write path alone, without network or signatures. For each
 * announce it runs what the relay's group commit runs (recheck, ledger
 * policy, store write) in a savepoint, `--group` announces per transaction,
 * and reports microseconds per announce by step. Shows what group commit and
 * the checkpoint setting are worth (docs/performance.md).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { NostrEvent } from 'nostr-tools/core'
import { Ledger } from '../relay/src/ledger/ledger'
import { openDatabase } from '../relay/src/store/database'
import { SqliteAnnounceStore } from '../relay/src/store/sqlite-store'
import { DEV_POOL } from '../relay/src/tseed-relay'
import { parseAnnounceEvent } from '../src/nostr/kind21000'
import { downloadedBytes, FUNDING_SATS, roleOf, swarmHash } from './plan'
import { fmt } from './stats'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '40000' },
    group: { type: 'string', default: '250' },
    pragma: { type: 'string', multiple: true, default: [] },
  },
})
const events = Math.min(200_000, Math.max(1, Number(values.events)))
const group = Math.max(1, Number(values.group))

const dir = mkdtempSync(join(tmpdir(), 'tseed-sqlite-path-'))
const db = openDatabase(join(dir, 'relay.sqlite'))
try {
  for (const p of values.pragma) db.pragma(p)
  const store = new SqliteAnnounceStore(db)
  const ledger = new Ledger(db)
  ledger.bootstrapPool(DEV_POOL)
  const keys = Array.from({ length: Math.ceil(events / 20) }, () => randomBytes(32).toString('hex'))
  keys.forEach((pk, k) => {
    if (roleOf(k) !== 'downloader') return
    ledger.deposit(pk, FUNDING_SATS, `d-${pk}`)
    ledger.swap(pk, 'sat_to_tseed', FUNDING_SATS, 1n, `s-${pk}`)
  })
  const now = Math.floor(Date.now() / 1000)
  // Signatures play no part here, so the events are built unsigned, with
  // random ids, to the shape and mix the ingest benchmark sends.
  const evs: NostrEvent[] = Array.from({ length: events }, (_, i) => {
    const k = i % keys.length
    const j = Math.floor(i / keys.length)
    const seeder = roleOf(k) === 'seeder'
    return {
      id: randomBytes(32).toString('hex'),
      pubkey: keys[k] ?? '',
      created_at: now,
      kind: 21000,
      content: '',
      sig: randomBytes(64).toString('hex'),
      tags: [
        ['i', swarmHash((k * 7 + j * 13) % 200)],
        ['uploaded', seeder ? String((j + 1) * 2_000_000) : '0'],
        ['downloaded', seeder ? '0' : downloadedBytes(j).toString()],
        ['left', seeder ? '0' : '50000000'],
        ['port', '6881'],
        ['event', 'started'],
        ['session', randomBytes(16).toString('hex')],
      ],
    }
  })
  const policy = ledger.announcePolicy()
  const client = { id: 'bench', ip: '127.0.0.1', send: () => undefined }
  const spent = { recheck: 0, ledger: 0, store: 0, savepoints: 0, commit: 0 }
  const started = performance.now()
  for (let g = 0; g < events; g += group) {
    const t0 = performance.now()
    let inUnits = 0
    store.writes.transaction(() => {
      for (const ev of evs.slice(g, g + group)) {
        const u0 = performance.now()
        let body = 0
        store.writes.transaction(() => {
          const b0 = performance.now()
          const a = parseAnnounceEvent(ev)
          const key = { pubkey: ev.pubkey, infoHash: a.infoHash, session: a.session ?? '' }
          store.writes.hasId(ev.id, now)
          store.writes.current(key, now)
          const b1 = performance.now()
          const decision = policy(ev, a, client)
          const b2 = performance.now()
          if (!(decision instanceof Promise) && decision.accept) {
            store.writes.put({ event: ev, ...key, expiresAt: now + 7200 }, now)
          }
          const b3 = performance.now()
          spent.recheck += b1 - b0
          spent.ledger += b2 - b1
          spent.store += b3 - b2
          body = b3 - b0
        })
        const unit = performance.now() - u0
        spent.savepoints += unit - body
        inUnits += unit
      }
    })
    spent.commit += performance.now() - t0 - inUnits
  }
  const total = performance.now() - started
  const us = (ms: number): string => fmt((ms * 1000) / events, 1).padStart(7)
  console.info(
    `${fmt(events)} announces, ${group} per transaction, pragmas [${values.pragma.join(', ')}]`,
  )
  console.info(
    `  total             ${us(total)} µs per announce (${fmt((events * 1000) / total)}/s)`,
  )
  console.info(`  recheck (2 reads) ${us(spent.recheck)}`)
  console.info(`  ledger policy     ${us(spent.ledger)}`)
  console.info(`  store write       ${us(spent.store)}`)
  console.info(`  savepoints        ${us(spent.savepoints)}`)
  console.info(`  BEGIN + COMMIT    ${us(spent.commit)}  (WAL writes and checkpoints)`)
  if (!ledger.audit().ok) throw new Error('the ledger does not audit')
} finally {
  db.close()
  rmSync(dir, { recursive: true, force: true })
}
