import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { FetchLike } from '../../balance/api-client'
import {
  Bolt11Error,
  decodeInvoice,
  isInvoiceExpired,
  type Bolt11Network,
  type DecodedInvoice,
} from '../../balance/bolt11'
import { WalletError } from './wallet-error'

/**
 * Lightning addresses (LUD-16) over LNURL-pay (LUD-06): `name@domain` →
 * `https://domain/.well-known/lnurlp/name` → an invoice from its callback.
 * The invoice is checked against what was asked before anyone pays it: a
 * server that swaps in a larger amount, or another payee's description,
 * is refused.
 */

export interface LnurlPayParams {
  address: string
  callback: string
  minSendableMsat: bigint
  maxSendableMsat: bigint
  /** The raw metadata string; its SHA-256 is the invoice's description hash. */
  metadata: string
}

export interface LnurlInvoice {
  invoice: string
  decoded: DecodedInvoice
  amountMsat: bigint
}

export interface LnurlDeps {
  fetch: FetchLike
  /** Unix seconds. */
  nowSeconds?: () => number
  /** Refuse invoices for another network (a TEST MODE relay pays only regtest). */
  network?: Bolt11Network
}

const ADDRESS = /^([a-z0-9._+-]{1,64})@([a-z0-9.-]{1,253}(?::[0-9]{1,5})?)$/i

/** Reads a Lightning address's pay parameters; rejects with a `lnurl` {@link WalletError}. */
export async function resolveLightningAddress(
  address: string,
  deps: Pick<LnurlDeps, 'fetch'>,
): Promise<LnurlPayParams> {
  const m = ADDRESS.exec(address.trim())
  if (m?.[1] === undefined || m[2] === undefined) {
    throw lnurl(`"${address}" is not a Lightning address (name@domain).`)
  }
  const [name, domain] = [m[1].toLowerCase(), m[2].toLowerCase()]
  // A server on this machine (tests, a local node) has no certificate to offer.
  const scheme = isLocal(domain.replace(/:[0-9]+$/, '')) ? 'http' : 'https'
  const url = safeUrl(`${scheme}://${domain}/.well-known/lnurlp/${name}`)
  const body = await getJson(deps.fetch, url, domain)
  if (body.tag !== 'payRequest') {
    throw lnurl(`${domain} did not answer with a payment request for ${name}.`)
  }
  if (typeof body.callback !== 'string') throw lnurl(`${domain} sent no callback address.`)
  const callback = safeUrl(body.callback)
  const min = msat(body.minSendable)
  const max = msat(body.maxSendable)
  if (min === null || max === null || min < 1n || min > max) {
    throw lnurl(`${domain} sent unusable amount limits.`)
  }
  if (typeof body.metadata !== 'string') throw lnurl(`${domain} sent no metadata.`)
  return {
    address: `${name}@${domain}`,
    callback,
    minSendableMsat: min,
    maxSendableMsat: max,
    metadata: body.metadata,
  }
}

/**
 * Fetches an invoice for exactly `amountMsat` and verifies it: amount,
 * expiry, network, and the description hash when the invoice carries one.
 */
export async function requestInvoice(
  params: LnurlPayParams,
  amountMsat: bigint,
  deps: LnurlDeps,
): Promise<LnurlInvoice> {
  const domain = new URL(params.callback).host
  if (amountMsat < params.minSendableMsat || amountMsat > params.maxSendableMsat) {
    throw lnurl(
      `${params.address} accepts ${params.minSendableMsat / 1000n} to ${params.maxSendableMsat / 1000n} sats per payment` +
        ` (in msat: ${params.minSendableMsat}–${params.maxSendableMsat}); ${amountMsat} msat is outside that.`,
    )
  }
  const url = new URL(params.callback)
  url.searchParams.set('amount', amountMsat.toString())
  const body = await getJson(deps.fetch, url.href, domain)
  if (typeof body.pr !== 'string') throw lnurl(`${domain} sent no invoice.`)
  let decoded: DecodedInvoice
  try {
    decoded = decodeInvoice(body.pr)
  } catch (e) {
    if (e instanceof Bolt11Error) throw lnurl(`${domain} sent an invalid invoice: ${e.message}.`)
    throw e
  }
  if (decoded.amountMsat !== amountMsat) {
    throw lnurl(
      `${domain} sent an invoice for ${decoded.amountMsat ?? 'any'} msat instead of ${amountMsat} msat; it was not used.`,
    )
  }
  if (
    decoded.descriptionHash !== undefined &&
    decoded.descriptionHash !== bytesToHex(sha256(new TextEncoder().encode(params.metadata)))
  ) {
    throw lnurl(`${domain} sent an invoice that does not match its own payment details.`)
  }
  if (deps.network !== undefined && decoded.network !== deps.network) {
    throw lnurl(`${domain} sent an invoice for ${decoded.network}, not ${deps.network}.`)
  }
  const now = deps.nowSeconds?.() ?? Math.floor(Date.now() / 1000)
  if (isInvoiceExpired(decoded, now)) throw lnurl(`${domain} sent an invoice that has expired.`)
  return { invoice: body.pr, decoded, amountMsat }
}

/** {@link resolveLightningAddress} then {@link requestInvoice}, for a whole number of sats. */
export async function invoiceForAddress(
  address: string,
  amountSat: bigint,
  deps: LnurlDeps,
): Promise<LnurlInvoice> {
  return requestInvoice(await resolveLightningAddress(address, deps), amountSat * 1000n, deps)
}

/** HTTPS only, except plain HTTP to this machine (tests, a local node). */
function safeUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw lnurl(`"${text}" is not a valid address.`)
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLocal(url.hostname))) {
    return url.href
  }
  throw lnurl(`Refusing ${url.protocol.replace(':', '')} for ${url.host}: only HTTPS is safe.`)
}

function isLocal(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost'
}

async function getJson(
  fetch: FetchLike,
  url: string,
  domain: string,
): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(url, { method: 'GET', headers: { Accept: 'application/json' } })
  } catch (e) {
    throw lnurl(`Could not reach ${domain}: ${e instanceof Error ? e.message : String(e)}.`)
  }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    throw lnurl(`${domain} answered HTTP ${res.status} without a readable payment answer.`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw lnurl(`${domain} answered something other than a payment answer.`)
  }
  const b = body as Record<string, unknown>
  if (b.status === 'ERROR') {
    const reason = typeof b.reason === 'string' ? b.reason.slice(0, 200) : 'no reason given'
    throw lnurl(`${domain} refused: ${reason}`)
  }
  if (!res.ok) throw lnurl(`${domain} answered HTTP ${res.status}.`)
  return b
}

/** LUD-06 amounts are JSON numbers of msat; a string of digits is taken too. */
function msat(v: unknown): bigint | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) return BigInt(v)
  return null
}

function lnurl(message: string): WalletError {
  return new WalletError('lnurl', message)
}
