import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finalizeEvent } from 'nostr-tools/pure'
import { WebSocket } from 'ws'
import { discoverTseedApi, TseedApiClient, type Balance } from '../../../src/balance/api-client'
import type { WebSocketImplementation } from '../../../src/nostr/nwc-client'
import { startRelayProcess, type RelayProcess } from '../../../scripts/relay-process'
import { NwcWalletService, TestLightningNetwork } from '../../support/nwc-wallet-service'

const WS = WebSocket as unknown as WebSocketImplementation

/** The reserves `npm start` gives a dev relay's pool, so prices match the other browser tests. */
export const POOL = '10000000:5000000'

export interface NwcWorld {
  /** The TSEED relay, its Lightning backend on `nwc`. */
  relay: RelayProcess & { dbPath: string }
  /** A second relay process that carries the NIP-47 traffic of both wallets. */
  nostr: RelayProcess & { dbPath: string }
  /** The operator's wallet: the TSEED relay's invoices are made and looked up here. */
  operatorWallet: NwcWalletService
  /** The user's wallet, with sats, that the popup connects to. */
  userWallet: NwcWalletService
  stop(): Promise<void>
}

/**
 * Two NIP-47 wallet services that can pay each other, the TSEED relay run
 * through its command line with `--lightning nwc` on the operator's wallet,
 * and the Nostr relay both wallets listen on. That relay is a process of its
 * own because the TSEED relay reads its wallet's URI, relay address
 * included, before it listens. Everything is on 127.0.0.1, ports chosen by
 * the system.
 */
export async function startNwcWorld(userBalanceMsat: bigint): Promise<NwcWorld> {
  const nostr = await startRelayProcess()
  const peers = new TestLightningNetwork()
  const started: { stop(): Promise<void> }[] = [nostr]
  try {
    const operatorWallet = await NwcWalletService.start({
      relayUrl: nostr.url,
      WebSocket: WS,
      peers,
    })
    started.push(operatorWallet)
    const userWallet = await NwcWalletService.start({
      relayUrl: nostr.url,
      WebSocket: WS,
      balanceMsat: userBalanceMsat,
      peers,
    })
    started.push(userWallet)
    const uriFile = join(mkdtempSync(join(tmpdir(), 'tseed-nwc-')), 'operator-wallet.uri')
    writeFileSync(uriFile, operatorWallet.createConnection().uri, { mode: 0o600 })
    const relay = await startRelayProcess({
      extraArgs: [
        '--lightning',
        'nwc',
        '--nwc-uri-file',
        uriFile,
        '--network',
        'regtest',
        '--bootstrap-pool',
        POOL,
      ],
    })
    return {
      relay,
      nostr,
      operatorWallet,
      userWallet,
      stop: async () => {
        await relay.stop()
        await Promise.all([operatorWallet.stop(), userWallet.stop()])
        await nostr.stop()
      },
    }
  } catch (e) {
    for (const s of started.reverse()) await s.stop()
    throw e
  }
}

/** The key's balances as the relay's `GET /api/v1/balance` reports them (a real-money relay too). */
export async function relayBalance(relayUrl: string, sk: Uint8Array): Promise<Balance['balances']> {
  const info = await discoverTseedApi(relayUrl, (u, i) => fetch(u, i))
  if (!info) throw new Error(`${relayUrl} does not advertise a TSEED API`)
  const api = new TseedApiClient({
    baseUrl: info.apiUrl,
    fetch: (u, i) => fetch(u, i),
    sign: (t) => Promise.resolve(finalizeEvent(t, sk)),
  })
  return (await api.balance()).balances
}
