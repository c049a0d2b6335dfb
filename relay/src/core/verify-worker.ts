/**
 * A verify worker thread (see worker-verifier.ts): recomputes each event's id
 * and checks its Schnorr signature with the WASM secp256k1, a batch per
 * message. It keeps no state besides the WASM instance, so a replacement
 * after a crash is as good as the original.
 */
import { parentPort } from 'node:worker_threads'
import { answerVerifyRequest, type VerifyReply, type VerifyRequest } from './verify-protocol'
import { loadNostrWasm } from './verifier'

const port = parentPort
if (port === null) throw new Error('verify-worker runs only as a worker thread')
const nw = await loadNostrWasm()

port.on('message', (req: VerifyRequest) => {
  const reply = answerVerifyRequest(nw, req)
  // Transferred, not copied.
  port.postMessage(reply, [reply.outcomes.buffer])
})
port.postMessage({ type: 'ready' } satisfies VerifyReply)
