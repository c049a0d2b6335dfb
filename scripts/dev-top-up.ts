import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { TseedApiClient, discoverTseedApi } from '../src/balance/api-client'

/**
 * Tops up `sk`'s TSEED balance the way a user would: finds the relay's API in
 * its NIP-11 document, asks for a deposit invoice that swaps to TSEED on
 * arrival, and polls until it is credited (the relay runs the `dev`
 * Lightning backend, which settles at once and says so).
 */
export async function topUp(relayUrl: string, sk: Uint8Array, amountSat: bigint): Promise<bigint> {
  const api = await devApi(relayUrl, sk)
  const deposit = await api.createDeposit({ amountSat, swapMinOut: 1n })
  for (let i = 0; i < 50; i++) {
    const d = await api.deposit(deposit.paymentHash)
    if (d.state === 'credited') break
    if (d.state !== 'pending') throw new Error(`deposit ended ${d.state}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const balance = await api.balance()
  if (balance.balances.tseed === 0n) {
    throw new Error(`top-up of ${getPublicKey(sk)} left no TSEED`)
  }
  return balance.balances.tseed
}

/** The API client of a test-mode relay, signing NIP-98 with `sk`. */
export async function devApi(relayUrl: string, sk: Uint8Array): Promise<TseedApiClient> {
  const info = await discoverTseedApi(relayUrl, (u, i) => fetch(u, i))
  if (!info) throw new Error(`${relayUrl} does not advertise a TSEED API`)
  if (!info.testMode) throw new Error('refusing to use a relay that is not in test mode')
  return new TseedApiClient({
    baseUrl: info.apiUrl,
    fetch: (u, i) => fetch(u, i),
    sign: (t) => Promise.resolve(finalizeEvent(t, sk)),
  })
}

/** The key's TSEED balance on a test-mode relay. */
export async function tseedBalance(relayUrl: string, sk: Uint8Array): Promise<bigint> {
  return (await (await devApi(relayUrl, sk)).balance()).balances.tseed
}
