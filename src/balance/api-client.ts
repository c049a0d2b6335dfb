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
import { checkConfig, type RarityRule } from './pricing'

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

/** The caller's spending limits, in whole TSEED; null is no limit. */
export interface SpendingLimits {
  pubkey: string
  perHour: bigint | null
  perDay: bigint | null
  /** What the caller's announces were charged in the last 3600 s and the last 86400 s. */
  chargedLastHour: bigint
  chargedLastDay: bigint
  testMode: boolean
}

/** A personal tracker URL's credential, as listed: the secret itself is never shown again. */
export interface TrackerCredential {
  id: string
  label: string
  /** Unix seconds. */
  createdAt: number
  /** Unix seconds of its latest announce, to the minute; null if never used. */
  lastUsedAt: number | null
}

/** A new credential, with the URLs a desktop client uses. Only this answer carries the secret. */
export interface IssuedTrackerCredential extends TrackerCredential {
  credential: string
  announceUrl: string
  scrapeUrl: string
  testMode: boolean
}

export interface SwarmPriceInfo {
  infoHash: string
  tokensPerMb: bigint
  baseTokensPerMb: bigint
  multiplier: bigint
  rare: boolean
  rarityRule: boolean
  /**
   * The rarity rule's parameters, null when it is off; undefined from a relay
   * that does not publish them. With `baseTokensPerMb` they are the relay's
   * whole pricing config: `swarmPrice` prices any swarm from its counts.
   */
  rarity?: RarityRule | null
  bytesPerMb: bigint
  seeders: number
  leechers: number
  escrow: { held: bigint; claimed: bigint }
  /** With `bytes`: the most downloading that many bytes can cost now. */
  download?: { bytes: bigint; maxTokens: bigint }
  testMode: boolean
}

/** A swarm as `GET /swarm/{info_hash}/peers` gives it. */
export interface SwarmPeers {
  complete: number
  incomplete: number
  peers: { ip: string; port: number }[]
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
  /** NIP-11 `limitation` fields that size a REQ, when the relay publishes them. */
  reqLimits?: ReqLimits
}

/** How large a REQ may be and how many stored events one filter returns at most. */
export interface ReqLimits {
  /** `max_message_length`: bytes of one client message. */
  maxMessageLength?: number
  /** `max_limit`: the ceiling on a filter's `limit`. */
  maxLimit?: number
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
    return {
      pubkey: str(b.pubkey, 'pubkey'),
      balances: amounts(b.balances, 'balances'),
      tseedValueSat: nullable(b.tseed_value_sat, 'tseed_value_sat', amount),
      testMode: testMode(b),
    }
  }

  /** `GET /history?limit=` (NIP-98): the caller's postings, newest first. */
  async history(limit?: number): Promise<HistoryEntry[]> {
    const b = await this.call('GET', '/history', {
      auth: true,
      query: { limit: limit?.toString() },
    })
    return arr(b.entries, 'entries').map((e) => {
      const entry = obj(e, 'entry')
      return {
        id: num(entry.id, 'id'),
        kind: str(entry.kind, 'kind'),
        ref: str(entry.ref, 'ref'),
        at: num(entry.at, 'at'),
        memo: nullable(entry.memo, 'memo', str),
        change: signedAmounts(entry.change, 'change'),
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

  /** `GET /limits` (NIP-98): the caller's spending limits and what was charged in each window. */
  async getLimits(): Promise<SpendingLimits> {
    return spendingLimits(await this.call('GET', '/limits', { auth: true }))
  }

  /**
   * `POST /limits` (NIP-98): sets both limits; null clears one, `0n` refuses
   * every charge. The relay then refuses any announce whose charge would
   * pass a limit.
   */
  async setLimits(params: {
    perHour: bigint | null
    perDay: bigint | null
  }): Promise<SpendingLimits> {
    const body = {
      per_hour: params.perHour === null ? null : params.perHour.toString(),
      per_day: params.perDay === null ? null : params.perDay.toString(),
    }
    return spendingLimits(await this.call('POST', '/limits', { auth: true, body }))
  }

  /** `GET /price/<info hash>[?bytes=]` (public). */
  async price(infoHash: string, bytes?: bigint): Promise<SwarmPriceInfo> {
    const b = await this.call('GET', `/price/${encodeURIComponent(infoHash)}`, {
      query: { bytes: bytes?.toString() },
    })
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
    if (b.rarity !== undefined) info.rarity = nullable(b.rarity, 'rarity', rarityRule)
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
      reserves: nullable(b.reserves, 'reserves', amounts),
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
    const b = await this.call('GET', '/quote', {
      query:
        'amountIn' in params
          ? { side: params.side, amount_in: params.amountIn.toString() }
          : { side: params.side, amount_out: params.amountOut.toString() },
    })
    return {
      ...trade(b),
      exact: b.exact === 'out' ? 'out' : 'in',
      fee: amount(b.fee, 'fee'),
      priceImpactBps: amount(b.price_impact_bps, 'price_impact_bps'),
      poolAfter: amounts(b.pool_after, 'pool_after'),
    }
  }

  /** `POST /deposit` (NIP-98): a BOLT 11 invoice bound to the caller; with `swapMinOut`, swapped to TSEED on arrival. */
  async createDeposit(params: { amountSat: bigint; swapMinOut?: bigint }): Promise<Deposit> {
    const body = {
      amount_sat: params.amountSat.toString(),
      swap_min_out: params.swapMinOut?.toString(),
    }
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
    const body = {
      side: params.side,
      amount_in: params.amountIn.toString(),
      min_out: params.minOut.toString(),
      ref: params.ref,
    }
    const b = await this.call('POST', '/swap', { auth: true, body })
    return {
      ...trade(b),
      replayed: bool(b.replayed, 'replayed'),
      balances: amounts(b.balances, 'balances'),
    }
  }

  /**
   * `POST /withdraw` (NIP-98). Resolves with a `completed` withdrawal, or a
   * `pending` one whose outcome the relay is still finding out; a failed
   * payment (refunded) rejects, with the withdrawal in `details.withdrawal`.
   */
  async withdraw(params: { invoice: string; maxFeeSat?: bigint }): Promise<Withdrawal> {
    const body = { invoice: params.invoice, max_fee_sat: params.maxFeeSat?.toString() }
    return withdrawal(await this.call('POST', '/withdraw', { auth: true, body }))
  }

  /** `GET /withdraw/<payment hash>` (NIP-98). */
  async withdrawal(paymentHash: string): Promise<Withdrawal> {
    return withdrawal(
      await this.call('GET', `/withdraw/${encodeURIComponent(paymentHash)}`, { auth: true }),
    )
  }

  /** `POST /tracker-credentials` (NIP-98): a new personal tracker URL for desktop clients. */
  async createTrackerCredential(label = ''): Promise<IssuedTrackerCredential> {
    const b = await this.call('POST', '/tracker-credentials', { auth: true, body: { label } })
    return {
      ...trackerCredential(b),
      credential: str(b.credential, 'credential'),
      announceUrl: str(b.announce_url, 'announce_url'),
      scrapeUrl: str(b.scrape_url, 'scrape_url'),
      testMode: testMode(b),
    }
  }

  /** `GET /tracker-credentials` (NIP-98): the caller's active credentials, without secrets. */
  async trackerCredentials(): Promise<TrackerCredential[]> {
    const b = await this.call('GET', '/tracker-credentials', { auth: true })
    return arr(b.credentials, 'credentials').map((c) => trackerCredential(obj(c, 'credential')))
  }

  /** `DELETE /tracker-credentials/<id>` (NIP-98): its announces are refused from now on. */
  async revokeTrackerCredential(id: string): Promise<void> {
    await this.call('DELETE', `/tracker-credentials/${encodeURIComponent(id)}`, { auth: true })
  }

  /**
   * `GET /swarm/{info_hash}/peers?left=` (NIP-98): the swarm's counts and the
   * peers the relay's HTTP tracker lists; a seeder (`left` 0) gets leechers only.
   */
  async swarmPeers(infoHash: string, left?: bigint): Promise<SwarmPeers> {
    if (!/^[0-9a-f]{40}$/.test(infoHash)) {
      throw new TseedApiError(0, 'invalid_input', 'info hash must be 40 lowercase hex characters')
    }
    const b = await this.call('GET', `/swarm/${infoHash}/peers`, {
      auth: true,
      query: { left: left?.toString() },
    })
    return {
      complete: count(b.complete, 'complete'),
      incomplete: count(b.incomplete, 'incomplete'),
      peers: arr(b.peers, 'peers').map((p) => {
        const peer = obj(p, 'peer')
        const port = num(peer.port, 'port')
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          throw new TseedApiError(0, 'bad_response', 'a peer port must be from 1 to 65535')
        }
        return { ip: str(peer.ip, 'ip'), port }
      }),
    }
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    /** Query parameters and body fields that are undefined are left out. */
    opts: {
      auth?: boolean
      query?: Record<string, string | undefined>
      body?: Record<string, string | null | undefined>
    },
  ): Promise<Record<string, unknown>> {
    const url = new URL(this.base + path)
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, v)
    }
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

/** What a relay's NIP-11 document says about it, as far as the extension cares. */
export interface RelayInfoSummary {
  /** The relay's own name, cleaned for display; null when it gives none. */
  name: string | null
  /** Where its TSEED API is; null for a relay that is not a TSEED relay. */
  tseed: TseedRelayInfo | null
}

const MAX_NAME_CHARS = 60

/**
 * Reads a relay's NIP-11 document. An answer that is not a NIP-11 document
 * (an error status, HTML, not JSON) is a relay that says nothing about
 * itself: no name and not a TSEED relay.
 *
 * @throws when the relay cannot be reached at all.
 * @example
 * const { name, tseed } = await readRelayInfo('wss://relay.example', fetch)
 */
export async function readRelayInfo(relayUrl: string, fetch: FetchLike): Promise<RelayInfoSummary> {
  const http = relayUrl.replace(/^ws(s?):\/\//i, 'http$1://')
  const res = await fetch(http, { method: 'GET', headers: { Accept: 'application/nostr+json' } })
  if (!res.ok) return { name: null, tseed: null }
  let doc: unknown
  try {
    doc = await res.json()
  } catch {
    return { name: null, tseed: null }
  }
  if (typeof doc !== 'object' || doc === null) return { name: null, tseed: null }
  const d = doc as { name?: unknown; tseed?: unknown; limitation?: unknown }
  const tseed = tseedInfo(d.tseed, http)
  const limits = reqLimits(d.limitation)
  if (tseed !== null && limits !== undefined) tseed.reqLimits = limits
  return { name: displayName(d.name), tseed }
}

/**
 * Where a relay's TSEED API is, or null when the relay is not a TSEED relay.
 *
 * @example
 * const info = await discoverTseedApi('wss://relay.example', fetch)
 * if (info?.testMode) showTestModeBanner()
 */
export async function discoverTseedApi(
  relayUrl: string,
  fetch: FetchLike,
): Promise<TseedRelayInfo | null> {
  return (await readRelayInfo(relayUrl, fetch)).tseed
}

function tseedInfo(tseed: unknown, http: string): TseedRelayInfo | null {
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

function reqLimits(limitation: unknown): ReqLimits | undefined {
  if (typeof limitation !== 'object' || limitation === null) return undefined
  const l = limitation as Record<string, unknown>
  const positive = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0
  const out: ReqLimits = {}
  if (positive(l.max_message_length)) out.maxMessageLength = l.max_message_length
  if (positive(l.max_limit)) out.maxLimit = l.max_limit
  return Object.keys(out).length > 0 ? out : undefined
}

/** A relay names itself: no control characters, and short enough for one line of the popup. */
function displayName(name: unknown): string | null {
  if (typeof name !== 'string') return null
  // Control characters and bidi overrides would let a relay's name disguise itself.
  const clean = name
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
  if (clean === '') return null
  return clean.length > MAX_NAME_CHARS ? `${clean.slice(0, MAX_NAME_CHARS - 1)}…` : clean
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
      amountOut: nullable(swap.amount_out, 'swap.amount_out', amount),
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
    creditedSat: nullable(b.credited_sat, 'credited_sat', amount),
    creditedAt: nullable(b.credited_at, 'credited_at', num),
    swap: swapInfo,
    testMode: testMode(b),
  }
}

function trackerCredential(b: Record<string, unknown>): TrackerCredential {
  return {
    id: str(b.id, 'id'),
    label: str(b.label, 'label'),
    createdAt: num(b.created_at, 'created_at'),
    lastUsedAt: nullable(b.last_used_at, 'last_used_at', num),
  }
}

function spendingLimits(b: Record<string, unknown>): SpendingLimits {
  return {
    pubkey: str(b.pubkey, 'pubkey'),
    perHour: nullable(b.per_hour, 'per_hour', amount),
    perDay: nullable(b.per_day, 'per_day', amount),
    chargedLastHour: amount(b.charged_last_hour, 'charged_last_hour'),
    chargedLastDay: amount(b.charged_last_day, 'charged_last_day'),
    testMode: testMode(b),
  }
}

/** The fields a quote and a swap answer share. */
function trade(
  b: Record<string, unknown>,
): Pick<Quote, 'side' | 'amountIn' | 'amountOut' | 'pool' | 'testMode'> {
  return {
    side: swapSide(b.side),
    amountIn: amount(b.amount_in, 'amount_in'),
    amountOut: amount(b.amount_out, 'amount_out'),
    pool: amounts(b.pool, 'pool'),
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
    feePaidSat: nullable(b.fee_paid_sat, 'fee_paid_sat', amount),
    preimage: nullable(b.preimage, 'preimage', str),
    createdAt: num(b.created_at, 'created_at'),
    updatedAt: num(b.updated_at, 'updated_at'),
    detail: nullable(b.detail, 'detail', str),
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

function amounts(v: unknown, name: string): Amounts {
  const o = obj(v, name)
  return { tseed: amount(o.TSEED, 'TSEED'), sat: amount(o.sat, 'sat') }
}

function signedAmounts(v: unknown, name: string): Amounts {
  const o = obj(v, name)
  return { tseed: signed(o.TSEED, 'TSEED'), sat: signed(o.sat, 'sat') }
}

/** A rarity rule the pricing code accepts; anything else is a bad answer, never a wrong price. */
function rarityRule(v: unknown, name: string): RarityRule {
  const o = obj(v, name)
  const rule: RarityRule = {
    leechersPerSeeder: num(o.leechers_per_seeder, 'leechers_per_seeder'),
    scarceMultiplier: amount(o.scarce_multiplier, 'scarce_multiplier'),
    noSeederMultiplier: amount(o.no_seeder_multiplier, 'no_seeder_multiplier'),
  }
  try {
    checkConfig({ baseTokensPerMB: 1n, rarity: rule })
  } catch (e) {
    bad(`${name}: ${(e as Error).message}`)
  }
  return rule
}

/** `null` as null, anything else through `parse`. */
function nullable<T>(v: unknown, name: string, parse: (v: unknown, name: string) => T): T | null {
  return v === null ? null : parse(v, name)
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

function count(v: unknown, name: string): number {
  const n = num(v, name)
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TseedApiError(0, 'bad_response', `${name} must be a non-negative integer`)
  }
  return n
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
