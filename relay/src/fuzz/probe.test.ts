import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { startQuietRelay } from '../../../tests/support/tseed-relay'
import { probeRelay } from './probe'

/** Accepts connections and never says a word. */
const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 })
const listening = new Promise((resolve) => silent.once('listening', resolve))

afterAll(async () => {
  for (const c of silent.clients) c.terminate()
  await new Promise((resolve) => {
    silent.close(resolve)
  })
})

describe('probeRelay', () => {
  it('resolves against a serving relay', async () => {
    const relay = await startQuietRelay()
    try {
      await expect(probeRelay(relay.url)).resolves.toBeGreaterThan(0)
    } finally {
      await relay.close()
    }
  })

  it('rejects when the relay does not answer, or is not there', async () => {
    await listening
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`
    await expect(probeRelay(url, 300)).rejects.toThrow(/no answer within 300 ms/)
    await expect(probeRelay('ws://127.0.0.1:1', 1000)).rejects.toThrow(/probe:/)
  })
})
