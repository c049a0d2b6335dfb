import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TseedApiError } from '../../src/balance/api-client'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { newUser, startQuietRelay, type TestUser } from '../support/tseed-relay'

const IH = '0102030405060708090a0b0c0d0e0f1011121314'
const escaped = (hex: string): string => hex.replace(/../g, (b) => `%${b}`)

/** A desktop client's announce to its personal tracker URL, as raw HTTP. */
async function announce(url: string, left: number, port: number): Promise<void> {
  const peerId = escaped(Buffer.from(`-TR0000-${String(port).padStart(12, '0')}`).toString('hex'))
  const res = await fetch(
    `${url}?info_hash=${escaped(IH)}&peer_id=${peerId}&port=${port}` +
      `&uploaded=0&downloaded=0&left=${left}&event=started&compact=1`,
  )
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1')
  expect(body).not.toContain('failure reason')
}

describe('GET /api/v1/swarm/{info_hash}/peers over HTTP', () => {
  let relay: RunningTseedRelay
  let seeder: TestUser
  let asker: TestUser

  beforeAll(async () => {
    relay = await startQuietRelay()
    const api = { apiUrl: `http://127.0.0.1:${relay.port}/api/v1` }
    seeder = newUser(api)
    asker = newUser(api)
    const cred = await seeder.api.createTrackerCredential('seedbox')
    await announce(cred.announceUrl, 0, 51413)
  })

  afterAll(async () => {
    await relay.close()
  })

  it('lists the peer that announced to the tracker, with the relay counts, to a NIP-98 caller', async () => {
    const answer = await asker.api.swarmPeers(IH, 1000n)
    expect(answer.peers).toEqual([{ ip: '127.0.0.1', port: 51413 }])
    expect(answer.complete).toBe(1)
    expect(answer.incomplete).toBe(0)
  })

  it('gives a seeder no seeders', async () => {
    expect((await asker.api.swarmPeers(IH, 0n)).peers).toEqual([])
  })

  it('refuses a request without NIP-98 authentication', async () => {
    const res = await fetch(`http://127.0.0.1:${relay.port}/api/v1/swarm/${IH}/peers`)
    expect(res.status).toBe(401)
    await expect(
      newUser({ apiUrl: `http://127.0.0.1:${relay.port}/api/v1` }).api.swarmPeers('xyz'),
    ).rejects.toBeInstanceOf(TseedApiError)
  })

  it('is listed among the endpoints of NIP-11', async () => {
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, {
      headers: { Accept: 'application/nostr+json' },
    })
    const info = (await res.json()) as { tseed: { endpoints: string[] } }
    expect(info.tseed.endpoints).toContain('GET /swarm/{info_hash}/peers (NIP-98)')
  })
})
