import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { quoteSwap } from '../../balance/amm'
import { parseWalletConnectUri } from '../../nostr/nip47'
import { NwcClient, type WebSocketImplementation } from '../../nostr/nwc-client'
import { NwcLightningBackend } from '../../../relay/src/lightning/nwc-backend'
import { startRelay, type RunningRelay } from '../../../relay/src/transport/start-relay'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { NwcWalletService } from '../../../tests/support/nwc-wallet-service'
import { rejectionOf } from '../../../tests/support/rejection'
import {
  foreignInvoice,
  newUser,
  quiet,
  ScriptedLightning,
  startQuietRelay,
} from '../../../tests/support/tseed-relay'
import { payWithNwc, startTopUp, waitForDeposit, type DepositProgress } from './top-up'
import { WalletError } from './wallet-error'

const WS = WebSocket as unknown as WebSocketImplementation
const walletError = (p: Promise<unknown>) => rejectionOf(p, WalletError)

describe('top-up on a dev relay', () => {
  let relay: RunningTseedRelay
  let lightning: ScriptedLightning

  beforeAll(async () => {
    lightning = new ScriptedLightning()
    relay = await startQuietRelay({ lightning })
  })

  afterAll(async () => {
    await relay.close()
    await lightning.close()
  })

  it('creates the deposit with the minimum and sees it credited and swapped', async () => {
    const user = newUser(relay)
    const expected = quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 5_000n).amountOut
    const top = await startTopUp({ api: user.api, amountSat: 5_000n, minOut: expected })
    expect(top).toMatchObject({ amountSat: 5_000n, minOut: expected, testMode: true })
    expect(top.invoice).toMatch(/^lnbcrt50u1/)
    const outcome = await waitForDeposit(user.api, top.paymentHash, { pollMs: 10 })
    expect(outcome).toMatchObject({ kind: 'credited', creditedSat: 5_000n, tseed: expected })
    expect((await user.api.balance()).balances).toEqual({ tseed: expected, sat: 0n })
  })

  it('says in plain words when the price moved past the minimum before the payment arrived', async () => {
    const user = newUser(relay)
    const whale = newUser(relay)
    const pool = relay.ledger.pool()!
    const quoted = quoteSwap(pool, 'sat_to_tseed', 2_000n).amountOut
    const top = await startTopUp({ api: user.api, amountSat: 2_000n, minOut: quoted })
    // Someone buys TSEED first: the same sats now fetch less.
    const d = await whale.api.createDeposit({ amountSat: 500_000n, swapMinOut: 1n })
    expect((await whale.api.deposit(d.paymentHash)).swap?.state).toBe('done')
    const outcome = await waitForDeposit(user.api, top.paymentHash, { pollMs: 10 })
    expect(outcome.kind).toBe('swap_failed')
    if (outcome.kind !== 'swap_failed') return
    expect(outcome.creditedSat).toBe(2_000n)
    expect(outcome.message).toMatch(/2000 sats arrived.*stay as sats.*min_out/)
    expect((await user.api.balance()).balances).toEqual({ tseed: 0n, sat: 2_000n })
  })

  it('refuses at once a minimum the price already misses', async () => {
    const user = newUser(relay)
    const err = await walletError(startTopUp({ api: user.api, amountSat: 100n, minOut: 10n ** 9n }))
    expect(err.code).toBe('slippage')
    expect(err.message).toMatch(/slippage limit.*buys 164 TSEED/)
  })

  it('reports an expired invoice, and pending polls before it', async () => {
    const user = newUser(relay)
    const top = await startTopUp({ api: user.api, amountSat: 300n, minOut: 0n })
    lightning.lookups.set(top.paymentHash, { state: 'pending', amountSat: 300n })
    const progress: DepositProgress[] = []
    const waiting = waitForDeposit(user.api, top.paymentHash, {
      pollMs: 10,
      onProgress: (p) => {
        progress.push(p)
        if (progress.length === 2) {
          lightning.lookups.set(top.paymentHash, { state: 'expired', amountSat: 300n })
        }
      },
    })
    const outcome = await waiting
    expect(outcome.kind).toBe('expired')
    expect(outcome.kind === 'expired' && outcome.message).toMatch(/expired before it was paid/)
    expect(progress.map((p) => p.kind)).toEqual(['pending', 'pending'])
  })

  it('stops when aborted, and ends on an answer that will not change (404)', async () => {
    const user = newUser(relay)
    const top = await startTopUp({ api: user.api, amountSat: 300n, minOut: 0n })
    lightning.lookups.set(top.paymentHash, { state: 'pending', amountSat: 300n })
    const controller = new AbortController()
    const waiting = waitForDeposit(user.api, top.paymentHash, {
      pollMs: 10,
      signal: controller.signal,
      onProgress: () => {
        controller.abort()
      },
    })
    expect((await walletError(waiting)).code).toBe('aborted')

    const stranger = newUser(relay)
    const err = await walletError(waitForDeposit(stranger.api, top.paymentHash, { pollMs: 10 }))
    expect(err.code).toBe('relay')
    expect(err.message).toMatch(/could not check the top-up/)
  })
})

describe('top-up against a rate-limited relay', () => {
  let relay: RunningTseedRelay

  beforeAll(async () => {
    relay = await startQuietRelay({ api: { rateLimit: { burst: 1, perSecond: 4 } } })
  })

  afterAll(async () => {
    await relay.close()
  })

  it('backs off on 429 and still sees the deposit credited', async () => {
    const user = newUser(relay)
    const top = await startTopUp({ api: user.api, amountSat: 1_000n, minOut: 0n })
    const progress: DepositProgress[] = []
    const outcome = await waitForDeposit(user.api, top.paymentHash, {
      pollMs: 10,
      onProgress: (p) => progress.push(p),
    })
    expect(outcome.kind).toBe('credited')
    const limited = progress.filter((p) => p.kind === 'rate_limited')
    expect(limited.length).toBeGreaterThan(0)
    const waits = limited.map((p) => p.retryInMs)
    expect(waits).toEqual([...waits].sort((a, b) => a - b))
    expect(waits[0]).toBe(20)
  })
})

describe('top-up paid over NWC, on a relay whose Lightning is a real NIP-47 wallet', () => {
  let nwcRelay: RunningRelay
  let wallet: NwcWalletService
  let backend: NwcLightningBackend
  let relay: RunningTseedRelay
  let client: NwcClient

  beforeAll(async () => {
    nwcRelay = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    wallet = await NwcWalletService.start({
      relayUrl: nwcRelay.url,
      WebSocket: WS,
      balanceMsat: 20_000_000n, // 20,000 sat
      feeMsat: 1_000n,
    })
    backend = new NwcLightningBackend({
      uri: wallet.createConnection().uri,
      WebSocket: WS,
      requestTimeoutMs: 5_000,
      payTimeoutMs: 5_000,
      network: 'regtest',
      logger: quiet,
    })
    relay = await startQuietRelay({
      lightning: backend,
      bootstrapPool: { tseed: 10_000_000n, sat: 5_000_000n },
    })
    // The user's own connection to the same wallet: paying the relay's invoice is then an
    // internal transfer the wallet settles at once.
    client = new NwcClient({
      connection: parseWalletConnectUri(wallet.createConnection().uri),
      WebSocket: WS,
      requestTimeoutMs: 5_000,
    })
  })

  afterAll(async () => {
    client.close()
    await relay.close()
    await backend.close()
    await wallet.stop()
    await nwcRelay.close()
  })

  it('pays the deposit invoice with pay_invoice and sees it credited as TSEED', async () => {
    const user = newUser(relay)
    const expected = quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 3_000n).amountOut
    const top = await startTopUp({ api: user.api, amountSat: 3_000n, minOut: expected })
    expect(top.testMode).toBe(false)
    expect((await user.api.deposit(top.paymentHash)).state).toBe('pending')

    const paid = await payWithNwc(top.invoice, client)
    expect(paid.feesPaidMsat).toBe(1_000n)
    expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/)
    expect(
      wallet.handled.some((h) => h.method === 'pay_invoice' && h.errorCode === undefined),
    ).toBe(true)

    const outcome = await waitForDeposit(user.api, top.paymentHash, { pollMs: 10 })
    expect(outcome).toMatchObject({ kind: 'credited', creditedSat: 3_000n, tseed: expected })
    expect((await user.api.balance()).balances.tseed).toBe(expected)
  })

  it('explains a wallet that cannot cover the invoice, and refuses a bad or expired invoice before asking', async () => {
    const user = newUser(relay)
    const top = await startTopUp({ api: user.api, amountSat: 50_000n, minOut: 0n })
    const err = await walletError(payWithNwc(top.invoice, client))
    expect(err.code).toBe('wallet')
    expect(err.message).toMatch(/does not have enough sats/)

    const before = wallet.handled.length
    expect((await walletError(payWithNwc('lnbcrt1garbage', client))).code).toBe('bad_invoice')
    const old = foreignInvoice(10n, { timestamp: 1_000_000, expirySeconds: 60 }).invoice
    expect((await walletError(payWithNwc(old, client))).code).toBe('expired')
    expect(wallet.handled.length).toBe(before)
  })

  it('calls a silent wallet a timeout whose payment may still arrive', async () => {
    const silent = await NwcWalletService.start({ relayUrl: nwcRelay.url, WebSocket: WS })
    const conn = silent.createConnection().uri
    await silent.stop()
    const c = new NwcClient({
      connection: parseWalletConnectUri(conn),
      WebSocket: WS,
      requestTimeoutMs: 300,
    })
    try {
      const err = await walletError(payWithNwc(foreignInvoice(10n).invoice, c))
      expect(err.code).toBe('wallet_timeout')
      expect(err.message).toMatch(/may still go through/)
    } finally {
      c.close()
    }
  })
})
