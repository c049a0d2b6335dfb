import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { verifyAuthHeader } from '../../../src/nostr/nip98'
import { ENDPOINTS } from '../api/router'
import { apiRequestGenerator } from './api-requests'
import { seeded } from './prng'

const sk = generateSecretKey()
const NOW = 1_800_000_000
const ctx = {
  origin: 'http://127.0.0.1:7447',
  sign: (t: Parameters<typeof finalizeEvent>[0]) => finalizeEvent(t, sk),
  maxBodyBytes: 1024,
  now: () => NOW,
}

describe('apiRequestGenerator', () => {
  it('replays the same requests for the same seed', async () => {
    const a = apiRequestGenerator(seeded(4), ctx)
    const b = apiRequestGenerator(seeded(4), ctx)
    for (let i = 0; i < 50; i++) {
      const [x, y] = [await a(), await b()]
      expect({ ...y, headers: undefined }).toEqual({ ...x, headers: undefined })
      expect(Object.keys(y.headers)).toEqual(Object.keys(x.headers))
    }
  })

  it('reaches every route, with valid, forged and missing NIP-98 headers and huge bodies', async () => {
    const next = apiRequestGenerator(seeded(5), ctx)
    const patterns = new Set<string>()
    let valid = 0
    let forged = 0
    let missing = 0
    let huge = 0
    for (let i = 0; i < 1500; i++) {
      const r = await next()
      const e = ENDPOINTS.find((x) =>
        x.path.test(r.path.slice('/api/v1'.length).split('?')[0] ?? ''),
      )
      if (e !== undefined) patterns.add(e.pattern)
      if ((r.body?.length ?? 0) > ctx.maxBodyBytes) huge++
      const auth = r.headers.Authorization
      if (auth === undefined) {
        missing++
        continue
      }
      try {
        verifyAuthHeader(auth, {
          url: ctx.origin + r.path,
          method: r.method,
          body: r.body ?? new Uint8Array(0),
          now: NOW,
        })
        valid++
      } catch {
        forged++
      }
    }
    expect([...patterns].sort()).toEqual([...new Set(ENDPOINTS.map((e) => e.pattern))].sort())
    expect(valid).toBeGreaterThan(200)
    expect(forged).toBeGreaterThan(200)
    expect(missing).toBeGreaterThan(200)
    expect(huge).toBeGreaterThan(50)
  })
})
