import 'fake-indexeddb/auto'
import { bytesToHex } from '@noble/hashes/utils.js'
import { generateSecretKey } from 'nostr-tools/pure'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { quoteSwap } from '../../balance/amm'
import type { FetchLike } from '../../balance/api-client'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { rejectionOf } from '../../../tests/support/rejection'
import { foreignInvoice, startQuietRelay } from '../../../tests/support/tseed-relay'
import { createOutbox } from '../outbox'
import { openOutboxDb, type OutboxDb } from '../outbox-db'
import { createRelayLimits } from '../relay-limits'
import { RouteParamsError } from '../route-params'
import { createEncryptedKeyIdentity } from '../signer/encrypted-key-identity'
import { createSigningIdentity } from '../signer/identity'
import { createMemoryStorageArea } from '../storage-item'
import { createTseedRelayDirectory } from '../tseed-relays'
import { createWalletRoutes } from '../wallet-routes'
import { createWallet } from './wallet'
import { WalletError } from './wallet-error'

const PASSWORD = 'password1'
let n = 0
const dbs: OutboxDb[] = []

afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

interface Sent {
  path: string
  body: Record<string, unknown> | undefined
}

describe('the wallet against a real relay, with the user’s slippage bound', () => {
  let relay: RunningTseedRelay

  beforeAll(async () => {
    relay = await startQuietRelay()
  })

  afterAll(async () => {
    await relay.close()
  })

  /** A user with a key stored here; every request the wallet makes is recorded on its way out. */
  async function user() {
    const local = createMemoryStorageArea()
    const session = createMemoryStorageArea()
    const identity = createSigningIdentity({
      local: createEncryptedKeyIdentity({ localArea: local, sessionArea: session, logN: 4 }),
      area: local,
      nip07: { candidateTabs: () => Promise.resolve([]), executeInTab: () => Promise.resolve() },
      bunker: {},
    })
    await identity.load()
    await identity.importKey(bytesToHex(generateSecretKey()), PASSWORD)
    const sent: Sent[] = []
    const recording: FetchLike = (url, init) => {
      sent.push({
        path: new URL(url).pathname,
        // The API client sends the exact bytes it hashed for NIP-98.
        body:
          init.body instanceof Uint8Array
            ? (JSON.parse(new TextDecoder().decode(init.body)) as Record<string, unknown>)
            : undefined,
      })
      return fetch(url, init)
    }
    const db = await openOutboxDb(`wallet-test-${++n}`)
    dbs.push(db)
    const directory = createTseedRelayDirectory({ fetch: recording, now: Date.now })
    const relays = () => Promise.resolve([relay.url])
    const wallet = createWallet({
      // No website tab in this test: WebLN is tested in webln-payer.test.ts.
      tabs: {
        executeInTab: () => Promise.resolve(undefined),
        candidateTabs: () => Promise.resolve([]),
      },
      localArea: local,
      sessionArea: session,
      directory,
      fetch: recording,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      relays,
      identity,
      outbox: createOutbox(db),
      now: Date.now,
      onReleased: () => undefined,
      onFundsMissing: () => undefined,
      warn: () => undefined,
      sealLogN: 10,
    })
    const routes = createWalletRoutes({
      ready: Promise.resolve(),
      wallet,
      relayLimits: createRelayLimits({
        directory,
        fetch: recording,
        relays,
        signer: () => identity.signer(),
        pubkey: () => identity.pubkey(),
        area: local,
        now: Date.now,
        warn: () => undefined,
      }),
    })
    return { wallet, routes, sent, local }
  }

  const minOutAt = (out: bigint, bps: bigint) => (out * (10_000n - bps)) / 10_000n

  it('quotes with the stored bound, 1% until the user changes it, and shows it', async () => {
    const { wallet, routes, local } = await user()
    expect((await wallet.view()).slippageBps).toBe('100')
    const out = quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 10_000n).amountOut
    const q = await routes.quoteTopUp({ relay: relay.url, amount: '10000', unit: 'sat' })
    expect(q).toMatchObject({ tseedOut: out.toString(), slippageBps: '100' })
    expect(q.minOut).toBe(minOutAt(out, 100n).toString())

    expect(await routes.setSlippage({ percent: '0.1' })).toEqual({ slippageBps: '10' })
    expect(local.dump().slippageBps).toBe(10)
    expect((await wallet.view()).slippageBps).toBe('10')
    const tight = await routes.quoteTopUp({ relay: relay.url, amount: '10000', unit: 'sat' })
    expect(tight.minOut).toBe(minOutAt(out, 10n).toString())

    const err = await rejectionOf(routes.setSlippage({ percent: '5.5' }), WalletError)
    expect(err.message).toMatch(/from 0\.1% to 5%/)
    expect((await wallet.view()).slippageBps).toBe('10')
  })

  it.each(['0.1', '1', '5'])(
    'pre-fills a shortfall so that the worst price a %s% bound allows still covers it',
    async (percent) => {
      const { routes } = await user()
      await routes.setSlippage({ percent })
      for (const need of [1n, 5n, 99n, 100n, 101n, 1_000n, 123_457n]) {
        const cover = await routes.quoteTopUpToCover({ relay: relay.url, tseed: need.toString() })
        // The invoice is then made for those sats, quoted as an exact input.
        const paid = await routes.quoteTopUp({
          relay: relay.url,
          amount: cover.amountSat,
          unit: 'sat',
        })
        expect(BigInt(paid.minOut)).toBeGreaterThanOrEqual(need)
        expect(paid.slippageBps).toBe(cover.slippageBps)
      }
    },
  )

  it('refuses a shortfall that is not a positive whole number', async () => {
    const { wallet, routes } = await user()
    for (const tseed of ['-1', '1.5', '0', '']) {
      await rejectionOf(routes.quoteTopUpToCover({ relay: relay.url, tseed }), RouteParamsError)
    }
    const err = await rejectionOf(wallet.quoteToCover(relay.url, 0n), WalletError)
    expect(err.code).toBe('bad_input')
  })

  it('sends the bound to the relay: the deposit’s swap_min_out and the cash-out swap’s min_out', async () => {
    const { wallet, routes, sent } = await user()
    await routes.setSlippage({ percent: '2.5' })
    const out = quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 5_000n).amountOut
    const top = await routes.startTopUp({ relay: relay.url, amountSat: '5000' })
    expect(top.minOut).toBe(minOutAt(out, 250n).toString())
    const deposit = sent.find((s) => s.path.endsWith('/deposit'))
    expect(deposit?.body).toMatchObject({ swap_min_out: minOutAt(out, 250n).toString() })
    // The dev backend credits at once; the wallet sees it on its first look.
    await expect.poll(async () => (await wallet.view()).topUp?.state).toBe('credited')

    const plan = await routes.planCashOut({ relay: relay.url, tseed: '1000' })
    expect(plan.slippageBps).toBe('250')
    expect(plan.minSatOut).toBe(minOutAt(BigInt(plan.satOut), 250n).toString())
    const result = await routes.cashOut({
      relay: relay.url,
      tseed: '1000',
      destination: foreignInvoice(BigInt(plan.arrivesSat)).invoice,
    })
    expect(result.state).toBe('completed')
    const swap = sent.find((s) => s.path.endsWith('/swap'))
    expect(swap?.body).toMatchObject({ side: 'tseed_to_sat', min_out: plan.minSatOut })
  })

  it('connects and unlocks the NWC wallet through the routes, with the key’s password', async () => {
    const { wallet, routes } = await user()
    expect((await wallet.view()).nwc).toBe('none')
    expect((await wallet.view()).nwcPassword).toBe('key')
    const uri = `nostr+walletconnect://${'b'.repeat(64)}?relay=wss%3A%2F%2Fr.example&secret=${'c'.repeat(64)}`
    expect(await routes.connectNwc({ uri, password: PASSWORD })).toEqual({
      connected: true,
      password: 'key',
    })
    await wallet.locked()
    expect((await wallet.view()).nwc).toBe('locked')
    const err = await rejectionOf(routes.unlockNwc({ password: 'nope nope' }), WalletError)
    expect(err.code).toBe('wrong_password')
    expect(await routes.unlockNwc({ password: PASSWORD })).toEqual({ unlocked: true })
    expect((await wallet.view()).nwc).toBe('ready')
  })
})
