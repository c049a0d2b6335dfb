import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { startQuietRelay } from '../../../tests/support/tseed-relay'
import { TseedApiClient } from '../../balance/api-client'
import { createTseedRelayDirectory } from '../tseed-relays'
import { closedPort, countingFetch, createHttpServers } from '../testing/http'
import { createCostEstimator } from './cost-estimator'

const IH = 'ab'.repeat(20)
const http = createHttpServers()
afterEach(() => http.closeAll())

function estimator() {
  const { fetch: f, urls } = countingFetch()
  const estimate = createCostEstimator({
    directory: createTseedRelayDirectory({ fetch: f, now: () => 0 }),
    fetch: f,
  })
  return { estimate, urls }
}

/** An HTTP server answering every request with this NIP-11 document. */
async function nip11Server(doc: unknown): Promise<string> {
  const { port } = await http.listen((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/nostr+json' })
    res.end(JSON.stringify(doc))
  })
  return `ws://127.0.0.1:${port}`
}

/** What the relay itself quotes for downloading `bytes` of IH. */
async function relayQuote(r: RunningTseedRelay, bytes: bigint): Promise<bigint> {
  const api = new TseedApiClient({ baseUrl: r.apiUrl, fetch: (u, i) => fetch(u, i) })
  const p = await api.price(IH, bytes)
  if (p.download === undefined) throw new Error('the relay gave no download quote')
  return p.download.maxTokens
}

let cheap: RunningTseedRelay
let dear: RunningTseedRelay
beforeAll(async () => {
  // The default price, and three times it.
  cheap = await startQuietRelay()
  dear = await startQuietRelay({ pricing: { baseTokensPerMB: 3n, rarity: null } })
})
afterAll(async () => {
  await cheap.close()
  await dear.close()
})

describe('createCostEstimator', () => {
  it('prices zero bytes at nothing without asking any relay', async () => {
    const { estimate, urls } = estimator()
    const port = await closedPort()
    expect(await estimate(IH, 0n, [cheap.url, `ws://127.0.0.1:${port}`])).toEqual({
      tokens: '0',
      bytes: '0',
      exact: true,
    })
    expect(urls).toEqual([])
  })

  it("gives the relay's own quote, exactly", async () => {
    const { estimate, urls } = estimator()
    const bytes = 1_500_001n
    const quote = await relayQuote(dear, bytes)
    // 1.500001 MB at 3 TSEED/MB, rounded up; the default price would say 2.
    expect(quote).toBe(5n)
    expect(await estimate(IH, bytes, [dear.url])).toEqual({
      tokens: quote.toString(),
      bytes: '1500001',
      exact: true,
    })
    expect(urls).toEqual([dear.httpUrl, `${dear.apiUrl}/price/${IH}?bytes=1500001`])
  })

  it('adds up the quotes of two TSEED relays', async () => {
    const { estimate } = estimator()
    const bytes = 123_456_789n
    const sum = (await relayQuote(cheap, bytes)) + (await relayQuote(dear, bytes))
    expect(sum).toBe(124n + 371n)
    expect(await estimate(IH, bytes, [cheap.url, dear.url])).toEqual({
      tokens: sum.toString(),
      bytes: '123456789',
      exact: true,
    })
  })

  it('adds nothing for a relay that is not a TSEED relay', async () => {
    const { estimate } = estimator()
    const plain = await nip11Server({ name: 'plain relay', supported_nips: [1, 11] })
    const bytes = 10_000_000n
    expect(await estimate(IH, bytes, [plain])).toEqual({
      tokens: '0',
      bytes: '10000000',
      exact: true,
    })
    expect(await estimate(IH, bytes, [plain, dear.url])).toEqual({
      tokens: (await relayQuote(dear, bytes)).toString(),
      bytes: '10000000',
      exact: true,
    })
  })

  it('assumes the default price for a relay it cannot reach, and says the estimate is not exact', async () => {
    const { estimate } = estimator()
    const down = `ws://127.0.0.1:${await closedPort()}`
    // 1 TSEED per 10^6 bytes, rounded up.
    expect(await estimate(IH, 2_000_001n, [down])).toEqual({
      tokens: '3',
      bytes: '2000001',
      exact: false,
    })
    expect(await estimate(IH, 1n, [down])).toEqual({ tokens: '1', bytes: '1', exact: false })
    const bytes = 4_000_000n
    expect(await estimate(IH, bytes, [dear.url, down])).toEqual({
      tokens: ((await relayQuote(dear, bytes)) + 4n).toString(),
      bytes: '4000000',
      exact: false,
    })
  })

  it("assumes the default price when a TSEED relay's API does not answer", async () => {
    const { estimate } = estimator()
    const port = await closedPort()
    const broken = await nip11Server({
      name: 'tseed relay with its API down',
      tseed: { api: `http://127.0.0.1:${port}/api/v1` },
    })
    expect(await estimate(IH, 7_500_000n, [broken])).toEqual({
      tokens: '8',
      bytes: '7500000',
      exact: false,
    })
  })

  it('looks each relay up once for a burst of estimates', async () => {
    const { estimate, urls } = estimator()
    await estimate(IH, 1_000_000n, [dear.url])
    await estimate(IH, 2_000_000n, [dear.url])
    expect(urls.filter((u) => u === dear.httpUrl)).toHaveLength(1)
    expect(urls.filter((u) => u.includes('/price/'))).toHaveLength(2)
  })

  it('costs nothing with no relay at all', async () => {
    const { estimate } = estimator()
    expect(await estimate(IH, 5_000_000n, [])).toEqual({
      tokens: '0',
      bytes: '5000000',
      exact: true,
    })
  })
})
