import 'fake-indexeddb/auto'
import type { EventTemplate } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { NwcLightningBackend } from '../../relay/src/lightning/nwc-backend'
import { startRelay, type RunningRelay } from '../../relay/src/transport/start-relay'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { createOutbox } from '../../src/background/outbox'
import { openOutboxDb, type OutboxDb } from '../../src/background/outbox-db'
import { createEncryptedKeyIdentity } from '../../src/background/signer/encrypted-key-identity'
import { createSigningIdentity } from '../../src/background/signer/identity'
import { createMemoryStorageArea, type StorageAreaLike } from '../../src/background/storage-item'
import { createTseedRelayDirectory } from '../../src/background/tseed-relays'
import { createWallet, type Wallet } from '../../src/background/wallet/wallet'
import { WalletError } from '../../src/background/wallet/wallet-error'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'
import { NwcWalletService, TestLightningNetwork } from '../support/nwc-wallet-service'
import { rejectionOf } from '../support/rejection'
import { quiet, startQuietRelay } from '../support/tseed-relay'

const WS = WebSocket as unknown as WebSocketImplementation
const WALLET_PASSWORD = 'my wallet password'
const USER_MSAT = 50_000_000n
const signerSk = generateSecretKey()

/**
 * A user who signs with a NIP-07 signer extension, so no key (and no key
 * password) is stored in the extension, tops up from their own NWC wallet:
 * the TSEED relay runs the NWC backend on the operator's wallet, and both
 * wallets pay each other over a real Nostr relay.
 */
describe('NWC top-up for a user who signs elsewhere', () => {
  let nostr: RunningRelay
  let relay: RunningTseedRelay
  let backend: NwcLightningBackend
  let operatorWallet: NwcWalletService
  let userWallet: NwcWalletService
  const dbs: OutboxDb[] = []

  beforeAll(async () => {
    nostr = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    const peers = new TestLightningNetwork()
    operatorWallet = await NwcWalletService.start({ relayUrl: nostr.url, WebSocket: WS, peers })
    userWallet = await NwcWalletService.start({
      relayUrl: nostr.url,
      WebSocket: WS,
      balanceMsat: USER_MSAT,
      peers,
    })
    backend = new NwcLightningBackend({
      uri: operatorWallet.createConnection().uri,
      WebSocket: WS,
      requestTimeoutMs: 5_000,
      payTimeoutMs: 5_000,
      network: 'regtest',
      logger: quiet,
    })
    relay = await startQuietRelay({
      lightning: backend,
      network: 'regtest',
      bootstrapPool: { tseed: 10_000_000n, sat: 5_000_000n },
    })
  })

  afterAll(async () => {
    for (const db of dbs) db.close()
    vi.unstubAllGlobals()
    await relay.close()
    await backend.close()
    await Promise.all([operatorWallet.stop(), userWallet.stop()])
    await nostr.close()
  })

  /** The extension's wallet after a (re)start of the browser: `local` survives, the session does not. */
  async function extension(local: StorageAreaLike): Promise<Wallet> {
    const session = createMemoryStorageArea()
    const identity = createSigningIdentity({
      local: createEncryptedKeyIdentity({ localArea: local, sessionArea: session, logN: 4 }),
      area: local,
      nip07: {
        candidateTabs: () => Promise.resolve([1]),
        async executeInTab(_tabId, func, args) {
          vi.stubGlobal('window', {
            nostr: {
              getPublicKey: () => Promise.resolve(getPublicKey(signerSk)),
              signEvent: (t: EventTemplate) => Promise.resolve(finalizeEvent({ ...t }, signerSk)),
            },
          })
          return JSON.parse(JSON.stringify(await func(...args))) as unknown
        },
        waitForSignerMs: 500,
        pollMs: 10,
      },
      bunker: {},
    })
    await identity.load()
    if (identity.kind() !== 'nip07') await identity.useNip07()
    const db = await openOutboxDb(`nwc-top-up-${dbs.length}`)
    dbs.push(db)
    return createWallet({
      // No website tab in this test: WebLN is tested in webln-payer.test.ts.
      tabs: {
        executeInTab: () => Promise.resolve(undefined),
        candidateTabs: () => Promise.resolve([]),
      },
      localArea: local,
      sessionArea: session,
      directory: createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: Date.now }),
      fetch: (u, i) => fetch(u, i),
      WebSocket: WS,
      relays: () => Promise.resolve([relay.url]),
      identity,
      outbox: createOutbox(db),
      now: Date.now,
      onReleased: () => undefined,
      onFundsMissing: () => undefined,
      warn: () => undefined,
      sealLogN: 10,
    })
  }

  it('connects with a password of its own, stays locked after a restart until it is typed, then pays', async () => {
    const local = createMemoryStorageArea()
    const first = await extension(local)
    expect((await first.view()).nwcPassword).toBe('wallet')
    await rejectionOf(first.connectNwc(userWallet.createConnection().uri, 'short'), WalletError)
    expect(await first.connectNwc(userWallet.createConnection().uri, WALLET_PASSWORD)).toBe(
      'wallet',
    )
    expect((await first.view()).nwc).toBe('ready')

    // The browser restarts: storage.session is empty, the NIP-07 signer is still the one.
    const wallet = await extension(local)
    expect(await wallet.view()).toMatchObject({ nwc: 'locked', nwcPassword: 'wallet' })
    const top = await wallet.startTopUp(relay.url, 2_000n)
    expect(top.testMode).toBe(false)
    expect(top.state).toBe('invoice')
    const locked = await rejectionOf(wallet.payTopUpWithNwc(), WalletError)
    expect(locked.message).toMatch(/unlock it/)
    expect((await rejectionOf(wallet.unlockNwc('not my password'), WalletError)).code).toBe(
      'wrong_password',
    )

    await wallet.unlockNwc(WALLET_PASSWORD)
    expect((await wallet.view()).nwc).toBe('ready')
    const operatorBefore = operatorWallet.balanceMsat
    await wallet.payTopUpWithNwc()
    await expect
      .poll(async () => (await wallet.view()).topUp?.state, { timeout: 15_000 })
      .toBe('credited')
    expect(userWallet.balanceMsat).toBe(USER_MSAT - 2_000_000n)
    expect(operatorWallet.balanceMsat).toBe(operatorBefore + 2_000_000n)
    const view = await wallet.view()
    expect(BigInt(view.topUp!.tseed!)).toBeGreaterThanOrEqual(BigInt(top.minOut))
    // The balance read with NIP-98 signed by the NIP-07 signer shows the credit.
    await wallet.refresh('test')
    const after = await wallet.view()
    expect(after.balances).toMatchObject([{ relay: relay.url, ok: true, tseed: view.topUp!.tseed }])
  })
})
