/**
 * A verify worker thread (see worker-verifier.ts): recomputes each event's id
 * and checks its Schnorr signature, a batch per message, with the
 * implementation the pool chose (native libsecp256k1 or nostr-wasm). It keeps
 * no state besides that checker, so a replacement after a crash is as good as
 * the original.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadBatchChecker } from './batch-checker'
import {
  answerVerifyRequest,
  type VerifyReply,
  type VerifyRequest,
  type VerifyWorkerData,
} from './verify-protocol'

const port = parentPort
if (port === null) throw new Error('verify-worker runs only as a worker thread')
const { implementation, addonPath } = (workerData as { data: VerifyWorkerData }).data
const checker = await loadBatchChecker(implementation, addonPath)

port.on('message', (req: VerifyRequest) => {
  const reply = answerVerifyRequest(checker, req)
  // Transferred, not copied.
  port.postMessage(reply, [reply.outcomes.buffer])
})
port.postMessage({ type: 'ready' } satisfies VerifyReply)
