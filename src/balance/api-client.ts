/**
 * Client for a TSEED relay's balance API (docs/relay-api.md), shared by the
 * extension and the relay's tests. Browser-safe: `fetch` and the signer are
 * injected, and nothing here touches Node APIs. Every amount comes back as a
 * BigInt parsed from the decimal strings on the wire; every error answer
 * becomes a {@link TseedApiError} with the server's code and message.
 */
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { createAuthHeader } from '../nostr/nip98'
import type { SwapSide } from './amm'

/** Signs a NIP-98 auth event template (a local key, NIP-07, a NIP-46 bunker…). */
export type AuthSigner = (template: EventTemplate) => Promise<NostrEvent>

/** The `fetch` the client calls; pass `globalThis.fetch.bind(globalThis)` in a browser. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export interface TseedApiClientOptions {
  /** The API base URL, as published in NIP-11 `tseed.api`, e.g. `https://relay.example/api/v1`. */
  baseUrl: string
  fetch: FetchLike
  /** Needed for every authenticated endpoint; public ones work without it. */
  sign?: AuthSigner
  /** Unix seconds for auth events; defaults to the local clock. */
  now?: () => number
}

/** An error answer, or an answer the client could not read (`code: 'bad_response'`). */
export class TseedApiError extends Error {
  override name = 'TseedApiError'
  /** `need` and `have` of an `insufficient_funds` answer, in `currency`. */
  readonly need?: bigint
  readonly have?: bigint
  readonly currency?: string
  /** Which NIP-98 check failed, on a 401. */
  readonly reason?: string

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole error body, for fields specific to one endpoint (e.g. `withdrawal`). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message)
    if (typeof details.need === 'string' && DIGITS.test(details.need))
      this.need = BigInt(details.need)
    if (typeof details.have === 'string' && DIGITS.test(details.have))
      this.have = BigInt(details.have)
    if (typeof details.currency === 'string') this.currency = details.currency
    if (typeof details.reason === 'string') this.reason = details.reason
  }
}

export interface Amounts {
  tseed: bigint
  sat: bigint
}

export interface Balance {
  pubkey: string
  balances: Amounts
  /** What the TSEED would fetch if sold to the pool now; null without a pool. */
  tseedValueSat: bigint | null
  testMode: boolean
}

export interface HistoryLine {
  account: string
  currency: string
  amount: bigint
}

export interface HistoryEntry {
  id: number
  kind: string
  ref: string
  at: number
  memo: string | null
  /** What the posting did to the caller's balances (negative = debit). */
  change: Amounts
  lines: HistoryLine[]
}

export interface SwarmPriceInfo {
  infoHash: string
  tokensPerMb: bigint
  baseTokensPerMb: bigint
  multiplier: bigint
  rare: boolean
  rarityRule: boolean
  bytesPerMb: bigint
  seeders: number
  leechers: number
  escrow: { held: bigint; claimed: bigint }
  /** With `bytes`: the most downloading that many bytes can cost now. */
  download?: { bytes: bigint; maxTokens: bigint }
  testMode: boolean
}

export interface PoolInfo {
  url: string
  bootstrapped: boolean
  reserves: Amounts | null
  k: bigint | null
  /** Decimal fraction, e.g. `"0.003"`. */
  fee: string
  /** Decimal strings, for display only. */
  spot: { satPerTseed: string; tseedPerSat: string } | null
  testMode: boolean
}

export interface Quote {
  side: SwapSide
  exact: 'in' | 'out'
  amountIn: bigint
  amountOut: bigint
  fee: bigint
  priceImpactBps: bigint
  pool: Amounts
  poolAfter: Amounts
  testMode: boolean
}

export type DepositState = 'pending' | 'credited' | 'expired' | 'failed'

export interface Deposit {
  paymentHash: string
  invoice: string
  amountSat: bigint
  state: DepositState
  createdAt: number
  expiresAt: number
  creditedSat: bigint | null
  creditedAt: number | null
  swap: {
    minOut: bigint
    state: 'requested' | 'done' | 'failed'
    amountOut: bigint | null
    message?: string
  } | null
  testMode: boolean
}

export interface SwapResult {
  side: SwapSide
  amountIn: bigint
  amountOut: bigint
  replayed: boolean
  pool: Amounts
  balances: Amounts
  testMode: boolean
}

export type WithdrawalState = 'pending' | 'completed' | 'failed'

export interface Withdrawal {
  paymentHash: string
  state: WithdrawalState
  amountSat: bigint
  feeReserveSat: bigint
  feePaidSat: bigint | null
  preimage: string | null
  createdAt: number
  updatedAt: number
  detail: string | null
  testMode: boolean
}

/** What a relay's NIP-11 document says about its API. */
export interface TseedRelayInfo {
  apiUrl: string
  pool: string
  lightning: string
  testMode: boolean
}

const DIGITS = /^[0-9]{1,78}$/
const SIGNED = /^-?[0-9]{1,78}$/

/**
 * A typed client for one relay's API.
 *
 * @example
 * const api = new TseedApiClient({ baseUrl: info.apiUrl, fetch: globalThis.fetch.bind(globalThis), sign })
 * const { balances } = await api.balance()
 * const deposit = await api.createDeposit({ amountSat: 10_000n, swapMinOut: 0n })
 */
export class TseedApiClient {
  private readonly base: string
  private readonly options: TseedApiClientOptions

  constructor(options: TseedApiClientOptions) {
    this.options = options
    this.base = options.baseUrl.replace(/\/+$/, '')
  }

  /** `GET /balance` (NIP-98). */
  async balance(): Promise<Balance> {
    const b = await this.call('GET', '/balance', { auth: true })
    const bal = obj(b.balances, 'balances')
    return {
      pubkey: str(b.pubkey, 'pubkey'),
      balances: amounts(bal),
      tseedValueSat:
        b.tseed_value_sat === null ? null : amount(b.tseed_value_sat, 'tseed_value_sat'),
      testMode: testMode(b),
    }
  }

  /** `GET /history?limit=` (NIP-98): the caller's postings, newest first. */
  async history(limit?: number): Promise<HistoryEntry[]> {
    const query = limit === undefined ? undefined : { limit: String(limit) }
    const b = await this.call('GET', '/history', { auth: true, query })
    return arr(b.entries, 'entries').map((e) => {
      const entry = obj(e, 'entry')
      return {
        id: num(entry.id, 'id'),
        kind: str(entry.kind, 'kind'),
        ref: str(entry.ref, 'ref'),
        at: num(entry.at, 'at'),
        memo: entry.memo === null ? null : str(entry.memo, 'memo'),
        change: signedAmounts(obj(entry.change, 'change')),
        lines: arr(entry.lines, 'lines').map((l) => {
          const line = obj(l, 'line')
          return {
            account: str(line.account, 'account'),
            currency: str(line.currency, 'currency'),
            amount: signed(line.amount, 'amount'),
          }
        }),
      }
    })
  }

  /** `GET /price/<info hash>[?bytes=]` (public). */
  async price(infoHash: string, bytes?: bigint): Promise<SwarmPriceInfo> {
    const query = bytes === undefined ? undefined : { bytes: bytes.toString() }
    const b = await this.call('GET', `/price/${encodeURIComponent(infoHash)}`, { query })
    const escrow = obj(b.escrow, 'escrow')
    const info: SwarmPriceInfo = {
      infoHash: str(b.info_hash, 'info_hash'),
      tokensPerMb: amount(b.tokens_per_mb, 'tokens_per_mb'),
      baseTokensPerMb: amount(b.base_tokens_per_mb, 'base_tokens_per_mb'),
      multiplier: amount(b.multiplier, 'multiplier'),
      rare: bool(b.rare, 'rare'),
      rarityRule: bool(b.rarity_rule, 'rarity_rule'),
      bytesPerMb: amount(b.bytes_per_mb, 'bytes_per_mb'),
      seeders: num(b.seeders, 'seeders'),
      leechers: num(b.leechers, 'leechers'),
      escrow: { held: amount(escrow.held, 'held'), claimed: amount(escrow.claimed, 'claimed') },
      testMode: testMode(b),
    }
    if (b.download !== undefined) {
      const d = obj(b.download, 'download')
      info.download = {
        bytes: amount(d.bytes, 'bytes'),
        maxTokens: amount(d.max_tokens, 'max_tokens'),
      }
    }
    return info
  }

  /** `GET /pool` (public). */
  async pool(): Promise<PoolInfo> {
    const b = await this.call('GET', '/pool', {})
    const spot = b.spot === undefined ? null : obj(b.spot, 'spot')
    return {
      url: str(b.url, 'url'),
      bootstrapped: bool(b.bootstrapped, 'bootstrapped'),
      reserves: b.reserves === null ? null : amounts(obj(b.reserves, 'reserves')),
      k: b.k === undefined ? null : amount(b.k, 'k'),
      fee: str(b.fee, 'fee'),
      spot:
        spot === null
          ? null
          : {
              satPerTseed: str(spot.sat_per_tseed, 'sat_per_tseed'),
              tseedPerSat: str(spot.tseed_per_sat, 'tseed_per_sat'),
            },
      testMode: testMode(b),
    }
  }

  /** `GET /quote` (public): exactly one of `amountIn` and `amountOut`. */
  async quote(
    params: { side: SwapSide; amountIn: bigint } | { side: SwapSide; amountOut: bigint },
  ): Promise<Quote> {
    const query: Record<string, string> = { side: params.side }
    if ('amountIn' in params) query.amount_in = params.amountIn.toString()
    else query.amount_out = params.amountOut.toString()
    const b = await this.call('GET', '/quote', { query })
    return {
      side: swapSide(b.side),
      exact: b.exact === 'out' ? 'out' : 'in',
      amountIn: amount(b.amount_in, 'amount_in'),
      amountOut: amount(b.amount_out, 'amount_out'),
      fee: amount(b.fee, 'fee'),
      priceImpactBps: amount(b.price_impact_bps, 'price_impact_bps'),
      pool: amounts(obj(b.pool, 'pool')),
      poolAfter: amounts(obj(b.pool_after, 'pool_after')),
      testMode: testMode(b),
    }
  }

  /** `POST /deposit` (NIP-98): a BOLT 11 invoice bound to the caller; with `swapMinOut`, swapped to TSEED on arrival. */
  async createDeposit(params: { amountSat: bigint; swapMinOut?: bigint }): Promise<Deposit> {
    const body: Record<string, string> = { amount_sat: params.amountSat.toString() }
    if (params.swapMinOut !== undefined) body.swap_min_out = params.swapMinOut.toString()
    return deposit(await this.call('POST', '/deposit', { auth: true, body }))
  }

  /** `GET /deposit/<payment hash>` (NIP-98): the deposit, credited once paid. */
  async deposit(paymentHash: string): Promise<Deposit> {
    return deposit(
      await this.call('GET', `/deposit/${encodeURIComponent(paymentHash)}`, { auth: true }),
    )
  }

  /** `POST /swap` (NIP-98). `ref` makes a retry of the same swap safe. */
  async swap(params: {
    side: SwapSide
    amountIn: bigint
    minOut: bigint
    ref?: string
  }): Promise<SwapResult> {
    const body: Record<string, string> = {
      side: params.side,
      amount_in: params.amountIn.toString(),
      min_out: params.minOut.toString(),
    }
    if (params.ref !== undefined) body.ref = params.ref
    const b = await this.call('POST', '/swap', { auth: true, body })
    return {
      side: swapSide(b.side),
      amountIn: amount(b.amount_in, 'amount_in'),
      amountOut: amount(b.amount_out, 'amount_out'),
      replayed: bool(b.replayed, 'replayed'),
      pool: amounts(obj(b.pool, 'pool')),
      balances: amounts(obj(b.balances, 'balances')),
      testMode: testMode(b),
    }
  }

  /**
   * `POST /withdraw` (NIP-98). Resolves with a `completed` withdrawal, or a
   * `pending` one whose outcome the relay is still finding out; a failed
   * payment (refunded) rejects, with the withdrawal in `details.withdrawal`.
   */
  async withdraw(params: { invoice: string; maxFeeSat?: bigint }): Promise<Withdrawal> {
    const body: Record<string, string> = { invoice: params.invoice }
    if (params.maxFeeSat !== undefined) body.max_fee_sat = params.maxFeeSat.toString()
    return withdrawal(await this.call('POST', '/withdraw', { auth: true, body }))
  }

  /** `GET /withdraw/<payment hash>` (NIP-98). */
  async withdrawal(paymentHash: string): Promise<Withdrawal> {
    return withdrawal(
      await this.call('GET', `/withdraw/${encodeURIComponent(paymentHash)}`, { auth: true }),
    )
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    opts: {
      auth?: boolean
      query?: Record<string, string> | undefined
      body?: Record<string, string>
    },
  ): Promise<Record<string, unknown>> {
    const url = new URL(this.base + path)
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v)
    // The exact string signed is the exact string fetched: NIP-98 compares them byte for byte.
    const href = url.href
    const body =
      opts.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(opts.body))
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (opts.auth === true) {
      const sign = this.options.sign
      if (sign === undefined) {
        throw new TseedApiError(0, 'no_signer', `${method} ${path} needs a signer for NIP-98`)
      }
      headers.Authorization = await createAuthHeader({
        url: href,
        method,
        // Two identical requests in the same second would otherwise be the same event, and
        // the relay refuses the second as a replay; a random tag keeps every request distinct.
        sign: (template) => sign({ ...template, tags: [...template.tags, ['nonce', nonce()]] }),
        ...(body !== undefined ? { body } : {}),
        ...(this.options.now !== undefined ? { now: this.options.now() } : {}),
      })
    }
    const res = await this.options.fetch(href, {
      method,
      headers,
      ...(body !== undefined ? { body: body as BodyInit } : {}),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new TseedApiError(
        res.status,
        'bad_response',
        `${method} ${path}: answer is not JSON (HTTP ${res.status})`,
      )
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TseedApiError(
        res.status,
        'bad_response',
        `${method} ${path}: answer is not a JSON object`,
      )
    }
    const b = json as Record<string, unknown>
    if (!res.ok) {
      throw new TseedApiError(
        res.status,
        typeof b.error === 'string' ? b.error : 'http_error',
        typeof b.message === 'string' ? b.message : `HTTP ${res.status}`,
        b,
      )
    }
    return b
  }
}

/**
 * Reads a relay's NIP-11 document and returns where its TSEED API is, or
 * null when the relay is not a TSEED relay.
 *
 * @example
 * const info = await discoverTseedApi('wss://relay.example', fetch)
 * if (info?.testMode) showTestModeBanner()
 */
export async function discoverTseedApi(
  relayUrl: string,
  fetch: FetchLike,
): Promise<TseedRelayInfo | null> {
  const http = relayUrl.replace(/^ws(s?):\/\//i, 'http$1://')
  const res = await fetch(http, { method: 'GET', headers: { Accept: 'application/nostr+json' } })
  if (!res.ok) return null
  let doc: unknown
  try {
    doc = await res.json()
  } catch {
    return null
  }
  const tseed = (doc as { tseed?: unknown } | null)?.tseed
  if (typeof tseed !== 'object' || tseed === null) return null
  const t = tseed as Record<string, unknown>
  if (typeof t.api !== 'string') return null
  return {
    // A relay listening on every interface publishes a path; it is relative to the relay's URL.
    apiUrl: new URL(t.api, http).href.replace(/\/+$/, ''),
    pool: typeof t.pool === 'string' ? t.pool : '',
    lightning: typeof t.lightning === 'string' ? t.lightning : '',
    testMode: t.test_mode === true,
  }
}

/** 16 random bytes as hex, from the Web Crypto API every browser and Node 20 provide. */
function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function deposit(b: Record<string, unknown>): Deposit {
  const swap = b.swap === null || b.swap === undefined ? null : obj(b.swap, 'swap')
  const state = str(b.state, 'state')
  if (!['pending', 'credited', 'expired', 'failed'].includes(state)) bad(`state ${state}`)
  let swapInfo: Deposit['swap'] = null
  if (swap !== null) {
    const s = str(swap.state, 'swap.state')
    if (s !== 'requested' && s !== 'done' && s !== 'failed') bad(`swap.state ${s}`)
    swapInfo = {
      minOut: amount(swap.min_out, 'swap.min_out'),
      state: s,
      amountOut: swap.amount_out === null ? null : amount(swap.amount_out, 'swap.amount_out'),
      ...(typeof swap.message === 'string' ? { message: swap.message } : {}),
    }
  }
  return {
    paymentHash: str(b.payment_hash, 'payment_hash'),
    invoice: str(b.invoice, 'invoice'),
    amountSat: amount(b.amount_sat, 'amount_sat'),
    state: state as DepositState,
    createdAt: num(b.created_at, 'created_at'),
    expiresAt: num(b.expires_at, 'expires_at'),
    creditedSat: b.credited_sat === null ? null : amount(b.credited_sat, 'credited_sat'),
    creditedAt: b.credited_at === null ? null : num(b.credited_at, 'credited_at'),
    swap: swapInfo,
    testMode: testMode(b),
  }
}

function withdrawal(b: Record<string, unknown>): Withdrawal {
  const state = str(b.state, 'state')
  if (state !== 'pending' && state !== 'completed' && state !== 'failed') bad(`state ${state}`)
  return {
    paymentHash: str(b.payment_hash, 'payment_hash'),
    state: state,
    amountSat: amount(b.amount_sat, 'amount_sat'),
    feeReserveSat: amount(b.fee_reserve_sat, 'fee_reserve_sat'),
    feePaidSat: b.fee_paid_sat === null ? null : amount(b.fee_paid_sat, 'fee_paid_sat'),
    preimage: b.preimage === null ? null : str(b.preimage, 'preimage'),
    createdAt: num(b.created_at, 'created_at'),
    updatedAt: num(b.updated_at, 'updated_at'),
    detail: b.detail === null ? null : str(b.detail, 'detail'),
    testMode: testMode(b),
  }
}

function bad(what: string): never {
  throw new TseedApiError(200, 'bad_response', `unexpected ${what} in the relay's answer`)
}

function amount(v: unknown, name: string): bigint {
  if (typeof v !== 'string' || !DIGITS.test(v)) bad(`${name} (expected a decimal string)`)
  return BigInt(v)
}

function signed(v: unknown, name: string): bigint {
  if (typeof v !== 'string' || !SIGNED.test(v)) bad(`${name} (expected a decimal string)`)
  return BigInt(v)
}

function amounts(o: Record<string, unknown>): Amounts {
  return { tseed: amount(o.TSEED, 'TSEED'), sat: amount(o.sat, 'sat') }
}

function signedAmounts(o: Record<string, unknown>): Amounts {
  return { tseed: signed(o.TSEED, 'TSEED'), sat: signed(o.sat, 'sat') }
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') bad(name)
  return v
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(name)
  return v
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') bad(name)
  return v
}

function obj(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(name)
  return v as Record<string, unknown>
}

function arr(v: unknown, name: string): unknown[] {
  if (!Array.isArray(v)) bad(name)
  return v
}

function swapSide(v: unknown): SwapSide {
  if (v !== 'sat_to_tseed' && v !== 'tseed_to_sat') bad('side')
  return v
}

function testMode(b: Record<string, unknown>): boolean {
  return b.test_mode === true
}
