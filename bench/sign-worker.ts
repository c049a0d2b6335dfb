/**
 * Signs a range of the benchmark's keys' events (see plan.ts) with the WASM
 * secp256k1, on a worker thread so that generation uses every core.
 */
import { randomBytes } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { finalizeEvent, getPublicKey } from 'nostr-tools/wasm'
import { loadNostrWasm } from '../relay/src/core/verifier'
import { toEventTemplate, type Kind21000Announce } from '../src/nostr/kind21000'
import { downloadedBytes, roleOf, swarmHash, swarmOf, type PlanOptions, type Role } from './plan'

export interface SignJob {
  plan: PlanOptions
  fromKey: number
  toKey: number
  createdAt: number
}

export interface SignedKey {
  pubkey: string
  role: Role
  /** `["EVENT", …]` frames, ready to send, and their ids. */
  events: { id: string; frame: string; swarm: number }[]
}

const job = (workerData as { data: SignJob }).data
await loadNostrWasm()
const out: SignedKey[] = []
for (let k = job.fromKey; k < job.toKey; k++) {
  const sk = randomBytes(32)
  const role = roleOf(k)
  const signed: SignedKey = { pubkey: getPublicKey(sk), role, events: [] }
  for (let j = 0; j < job.plan.perKey; j++) {
    const swarm = swarmOf(job.plan, k, j)
    const announce: Kind21000Announce = {
      infoHash: swarmHash(swarm),
      uploaded: role === 'seeder' ? BigInt(j + 1) * 2_000_000n : 0n,
      downloaded: role === 'seeder' ? 0n : downloadedBytes(j),
      left: role === 'seeder' ? 0n : 50_000_000n,
      // Every event opens its own session, so each one is a first announce
      // the ledger accounts for in full and the store keeps.
      session: randomBytes(16).toString('hex'),
      port: 6881,
      event: 'started',
    }
    const ev = finalizeEvent(toEventTemplate(announce, job.createdAt), sk)
    signed.events.push({ id: ev.id, frame: JSON.stringify(['EVENT', ev]), swarm })
  }
  out.push(signed)
}
parentPort?.postMessage(out)
