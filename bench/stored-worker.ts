/**
 * Generates a range of a prebuilt database's announces (stored-plan.ts) on a
 * worker thread and posts them in batches of rows ready to insert. With
 * `sign`, each event is signed with nostr-wasm; without, the id is the real
 * NIP-01 hash but the signature is 64 zero bytes, which no client accepts.
 * The parent acknowledges each batch, so at most two wait per worker.
 */
import { randomBytes } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import type { NostrEvent } from 'nostr-tools/core'
import { computeEventId } from '../relay/src/core/event-validation'
import { loadNostrWasm } from '../relay/src/core/verifier'
import { toEventTemplate } from '../src/nostr/kind21000'
import { storedAnnounceFields, type StoredPlan } from './stored-plan'

export interface StoredJob {
  plan: StoredPlan
  /** Announces g with fromKey·perKey ≤ g < toKey·perKey (and g < announces). */
  fromKey: number
  toKey: number
  sign: boolean
  batch: number
}

/** [id, pubkey, info_hash, session, created_at, expires_at, event JSON, left]. */
export type StoredRow = [string, string, string, string, number, number, string, string]

export type StoredMessage = { rows: StoredRow[] } | { done: true }

const UNSIGNED = '0'.repeat(128)

const job = (workerData as { data: StoredJob }).data
const port = parentPort
if (port === null) throw new Error('stored-worker runs as a worker thread')
const nw = await loadNostrWasm()
let waiting = 0
let resume: (() => void) | undefined
port.on('message', () => {
  waiting--
  resume?.()
})
const p = job.plan
let rows: StoredRow[] = []
for (let k = job.fromKey; k < job.toKey; k++) {
  const sk = randomBytes(32)
  const pubkey = Buffer.from(nw.getPublicKey(sk)).toString('hex')
  const end = Math.min(p.announces, (k + 1) * p.perKey)
  for (let g = k * p.perKey; g < end; g++) {
    const f = storedAnnounceFields(p, g)
    const session = randomBytes(16).toString('hex')
    const template = toEventTemplate(
      {
        infoHash: f.infoHash,
        uploaded: 0n,
        downloaded: 0n,
        left: f.left,
        session,
        port: 6881,
        event: 'started',
      },
      f.createdAt,
    )
    let ev: NostrEvent
    if (job.sign) {
      const e = { ...template } as NostrEvent
      nw.finalizeEvent(e, sk)
      ev = e
    } else {
      const unsigned = { ...template, pubkey }
      ev = { ...unsigned, id: computeEventId(unsigned), sig: UNSIGNED }
    }
    rows.push([
      ev.id,
      ev.pubkey,
      f.infoHash,
      session,
      f.createdAt,
      f.expiresAt,
      JSON.stringify(ev),
      f.left.toString(),
    ])
    if (rows.length >= job.batch) {
      await post(rows)
      rows = []
    }
  }
}
if (rows.length > 0) await post(rows)
port.postMessage({ done: true } satisfies StoredMessage)

async function post(batch: StoredRow[]): Promise<void> {
  while (waiting >= 2) {
    await new Promise<void>((r) => (resume = r))
  }
  waiting++
  port!.postMessage({ rows: batch } satisfies StoredMessage)
}
