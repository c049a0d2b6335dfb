import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeInvoice } from '../../balance/bolt11'
import { payWithWebln, type WeblnDeps } from './webln-payer'
import { WalletError } from './wallet-error'

const NOW = 1_800_000_000
const preimage = randomBytes(32)
const invoice = encodeInvoice(
  {
    network: 'regtest',
    amountMsat: 21_000n,
    paymentHash: bytesToHex(sha256(preimage)),
    paymentSecret: bytesToHex(randomBytes(32)),
    description: 'TSEED top-up',
    expirySeconds: 600,
    timestamp: NOW,
  },
  randomBytes(32),
)

/** An Alby-like `window.webln` that pays by handing back `answer`. */
function webln(answer: () => Promise<unknown>, log: string[] = []): object {
  return {
    enable: () => {
      log.push('enable')
      return Promise.resolve()
    },
    sendPayment: (inv: string) => {
      log.push(`pay ${inv.slice(0, 12)}`)
      return answer()
    },
  }
}

/** Tabs as `window` objects; the injected function runs for real against each, as executeScript would. */
function tabs(windows: Record<number, object>, extra: Partial<WeblnDeps> = {}) {
  const calls: number[] = []
  const deps: WeblnDeps = {
    candidateTabs: () => Promise.resolve(Object.keys(windows).map(Number)),
    async executeInTab(tabId, func, args) {
      calls.push(tabId)
      const win = windows[tabId]
      if (win === undefined) throw new Error('No tab with id')
      vi.stubGlobal('window', win)
      vi.stubGlobal('document', { readyState: 'complete' })
      return JSON.parse(JSON.stringify(await func(...args))) as unknown
    },
    waitForWalletMs: 200,
    pollMs: 10,
    nowSeconds: () => NOW + 1,
    ...extra,
  }
  return { deps, calls }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('payWithWebln', () => {
  it('pays in the first tab with a wallet, enabling it first, and checks the preimage', async () => {
    const log: string[] = []
    const { deps, calls } = tabs({
      1: {},
      2: { webln: webln(() => Promise.resolve({ preimage: bytesToHex(preimage) }), log) },
    })
    expect(await payWithWebln(invoice, deps)).toEqual({ preimage: bytesToHex(preimage) })
    expect(calls).toEqual([1, 2])
    expect(log).toEqual(['enable', `pay ${invoice.slice(0, 12)}`])
  })

  it('does not believe a preimage that does not match the invoice', async () => {
    const { deps } = tabs({
      1: { webln: webln(() => Promise.resolve({ preimage: 'ab'.repeat(32) })) },
    })
    expect(await payWithWebln(invoice, deps)).toEqual({ preimage: null })
  })

  it('says in words when the user declines, when no tab has a wallet, and when no tab is open', async () => {
    const declined = tabs({
      1: { webln: webln(() => Promise.reject(new Error('User rejected the payment'))) },
      2: { webln: webln(() => Promise.resolve({ preimage: bytesToHex(preimage) })) },
    })
    await expect(payWithWebln(invoice, declined.deps)).rejects.toThrow('You declined the payment')
    // The refusal is final: no second prompt in another tab.
    expect(declined.calls).toEqual([1])
    await expect(payWithWebln(invoice, tabs({ 1: {}, 2: {} }).deps)).rejects.toThrow(
      /No browser wallet \(WebLN, such as Alby\) was found/,
    )
    await expect(payWithWebln(invoice, tabs({}).deps)).rejects.toThrow(/needs an open website tab/)
    const failing = tabs({ 1: { webln: webln(() => Promise.reject(new Error('no route'))) } })
    await expect(payWithWebln(invoice, failing.deps)).rejects.toThrow(
      'Your browser wallet could not pay: no route',
    )
  })

  it('refuses an expired or malformed invoice before asking any wallet', async () => {
    const { deps, calls } = tabs({ 1: { webln: webln(() => Promise.resolve({})) } })
    const late = { ...deps, nowSeconds: () => NOW + 601 }
    await expect(payWithWebln(invoice, late)).rejects.toMatchObject({ code: 'expired' })
    await expect(payWithWebln('lnbcrt1nonsense', deps)).rejects.toMatchObject({
      code: 'bad_invoice',
    })
    expect(calls).toEqual([])
  })

  it('gives up after its time limit with a timeout that says the payment may still arrive', async () => {
    const { deps } = tabs(
      { 1: { webln: webln(() => new Promise(() => undefined)) } },
      { timeoutMs: 100 },
    )
    const err: unknown = await payWithWebln(invoice, deps).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WalletError)
    expect((err as WalletError).code).toBe('wallet_timeout')
  })
})
