/**
 * A verify worker for tests of the worker pool's failure handling. It answers
 * like the real one (relay/src/core/verify-worker.ts) except for events whose
 * content asks it to misbehave:
 *
 * - `crash`: the thread dies (an uncaught exception) every time;
 * - `crash-once:<file>`: dies the first time only, marking `<file>`;
 * - `stall`: spins forever without answering.
 *
 * With TSEED_TEST_VERIFY_WORKER_BROKEN=1 in the environment it dies while
 * loading, as a worker whose module is missing would.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import type { NostrEvent } from 'nostr-tools/core'
import { loadBatchChecker } from '../../relay/src/core/batch-checker'
import {
  answerVerifyRequest,
  type VerifyReply,
  type VerifyRequest,
  type VerifyWorkerData,
} from '../../relay/src/core/verify-protocol'

if (process.env.TSEED_TEST_VERIFY_WORKER_BROKEN === '1') {
  throw new Error('this verify worker is broken on purpose')
}
const port = parentPort
if (port === null) throw new Error('runs only as a worker thread')
const { implementation, addonPath } = (workerData as { data: VerifyWorkerData }).data
const checker = await loadBatchChecker(implementation, addonPath)

port.on('message', (req: VerifyRequest) => {
  for (const ev of JSON.parse(req.events) as NostrEvent[]) {
    if (ev.content === 'crash') throw new Error('verify worker crashed on purpose')
    if (ev.content.startsWith('crash-once:')) {
      const marker = ev.content.slice('crash-once:'.length)
      if (!existsSync(marker)) {
        writeFileSync(marker, 'crashed')
        throw new Error('verify worker crashed once on purpose')
      }
    }
    if (ev.content === 'stall') for (;;);
  }
  const reply = answerVerifyRequest(checker, req)
  port.postMessage(reply, [reply.outcomes.buffer])
})
port.postMessage({ type: 'ready' } satisfies VerifyReply)
