import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { bech32 } from '@scure/base'

/**
 * BOLT 11 invoices: decoding with signature recovery, and encoding with a
 * node key (the dev Lightning backend and test wallets issue real invoices).
 * Amounts are millisatoshis as BigInt; nothing here touches floats.
 */

/** Why an invoice was refused. */
export class Bolt11Error extends Error {
  override name = 'Bolt11Error'
}

export type Bolt11Network = 'bitcoin' | 'testnet' | 'signet' | 'regtest'

/** Human-readable prefixes. Longer prefixes first: `lnbcrt` starts with `lnbc`. */
const PREFIXES: readonly (readonly [string, Bolt11Network])[] = [
  ['lnbcrt', 'regtest'],
  ['lntbs', 'signet'],
  ['lnbc', 'bitcoin'],
  ['lntb', 'testnet'],
]

/** msat per unit of the amount in the human-readable part (1 BTC = 10^11 msat). */
const MSAT_PER_BTC = 100_000_000_000n
const MULTIPLIER_MSAT: Readonly<Record<string, bigint>> = {
  '': MSAT_PER_BTC,
  m: 100_000_000n,
  u: 100_000n,
  n: 100n,
}

/** Every bitcoin there will ever be, in msat: a sanity bound on amounts. */
export const MAX_MSAT = 21_000_000n * MSAT_PER_BTC
export const DEFAULT_EXPIRY_SECONDS = 3600
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY = 18
/** Generous bound on invoice length; long route hints stay far below it. */
export const MAX_INVOICE_LENGTH = 7089
/** A `d` field is at most 1023 five-bit words, i.e. 639 bytes of UTF-8. */
export const MAX_DESCRIPTION_BYTES = 639

const TAG = { p: 1, s: 16, d: 13, h: 23, x: 6, n: 19, c: 24, features: 5 } as const
const TIMESTAMP_WORDS = 7
const SIGNATURE_WORDS = 104
/** Feature bits BOLT 9 defines for invoices; an unknown even (compulsory) bit must fail. */
const KNOWN_FEATURE_BITS = new Set([8, 9, 14, 15, 16, 17, 48, 49])
const PAYMENT_SECRET_REQUIRED = 14

/** A decoded, signature-checked invoice. Hashes and keys are lowercase hex. */
export interface DecodedInvoice {
  network: Bolt11Network
  /** Absent for "any amount" invoices. */
  amountMsat?: bigint
  /** Unix seconds. */
  timestamp: number
  expirySeconds: number
  /** `timestamp + expirySeconds`. */
  expiresAt: number
  paymentHash: string
  paymentSecret?: string
  description?: string
  descriptionHash?: string
  /** 33-byte compressed public key of the payee, from `n` or recovered from the signature. */
  payeeNodeKey: string
  minFinalCltvExpiry: number
}

/**
 * Decode and verify a BOLT 11 invoice (an optional `lightning:` prefix is accepted).
 * Throws {@link Bolt11Error} with a specific message on any defect.
 *
 * @example
 * const inv = decodeInvoice('lnbc2500u1pvjluez…')
 * inv.amountMsat // 250000000n
 */
export function decodeInvoice(invoice: string): DecodedInvoice {
  if (typeof invoice !== 'string') throw new Bolt11Error('invoice must be a string')
  let text = invoice.trim()
  if (/^lightning:/i.test(text)) text = text.slice('lightning:'.length)
  if (text.length > MAX_INVOICE_LENGTH) {
    throw new Bolt11Error(`invoice longer than ${MAX_INVOICE_LENGTH} characters`)
  }
  const separator = text.lastIndexOf('1')
  if (separator < 1) throw new Bolt11Error('invoice is not bech32: no separator')

  let decoded: { prefix: string; words: number[] }
  try {
    decoded = bech32.decode(text as `${string}1${string}`, false)
  } catch (e) {
    throw new Bolt11Error(`invoice is not valid bech32: ${(e as Error).message}`)
  }
  const { network, amountMsat } = parseHrp(decoded.prefix)
  const words = decoded.words
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS)
    throw new Bolt11Error('invoice is too short')

  const dataWords = words.slice(0, words.length - SIGNATURE_WORDS)
  const sigBytes = wordsToBytes(words.slice(words.length - SIGNATURE_WORDS))
  const timestamp = Number(wordsToInt(dataWords.slice(0, TIMESTAMP_WORDS)))
  const fields = parseFields(dataWords.slice(TIMESTAMP_WORDS))

  if (fields.paymentHash === undefined) throw new Bolt11Error('invoice has no payment hash (p)')
  if (fields.description === undefined && fields.descriptionHash === undefined) {
    throw new Bolt11Error('invoice has neither a description (d) nor a description hash (h)')
  }
  if (fields.paymentSecretRequired && fields.paymentSecret === undefined) {
    throw new Bolt11Error('invoice requires a payment secret but has no s field')
  }

  const hash = signingHash(decoded.prefix, dataWords)
  const payeeNodeKey = checkSignature(sigBytes, hash, fields.payee)
  const expirySeconds = fields.expirySeconds ?? DEFAULT_EXPIRY_SECONDS
  const result: DecodedInvoice = {
    network,
    timestamp,
    expirySeconds,
    expiresAt: timestamp + expirySeconds,
    paymentHash: fields.paymentHash,
    payeeNodeKey,
    minFinalCltvExpiry: fields.minFinalCltvExpiry ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY,
  }
  if (amountMsat !== undefined) result.amountMsat = amountMsat
  if (fields.paymentSecret !== undefined) result.paymentSecret = fields.paymentSecret
  if (fields.description !== undefined) result.description = fields.description
  if (fields.descriptionHash !== undefined) result.descriptionHash = fields.descriptionHash
  return result
}

/** True when the invoice can no longer be paid at `nowSeconds`. */
export function isInvoiceExpired(invoice: DecodedInvoice, nowSeconds: number): boolean {
  return nowSeconds >= invoice.expiresAt
}

function parseHrp(hrp: string): { network: Bolt11Network; amountMsat?: bigint } {
  const entry = PREFIXES.find(([p]) => hrp.startsWith(p))
  if (!entry) throw new Bolt11Error(`unknown invoice prefix in "${hrp.slice(0, 12)}"`)
  const [prefix, network] = entry
  const amount = hrp.slice(prefix.length)
  if (amount === '') return { network }
  const m = /^([0-9]+)([munp]?)$/.exec(amount)
  if (!m) throw new Bolt11Error(`invalid amount "${amount}" in invoice prefix`)
  const digits = m[1] ?? ''
  const multiplier = m[2] ?? ''
  if (digits.startsWith('0')) throw new Bolt11Error(`invoice amount "${amount}" has a leading zero`)
  const value = BigInt(digits)
  let msat: bigint
  if (multiplier === 'p') {
    // 1 pico-BTC is 0.1 msat: only multiples of 10 are whole msat.
    if (value % 10n !== 0n) {
      throw new Bolt11Error(`invoice amount "${amount}" is not a whole number of millisatoshis`)
    }
    msat = value / 10n
  } else {
    msat = value * (MULTIPLIER_MSAT[multiplier] ?? 0n)
  }
  if (msat > MAX_MSAT) throw new Bolt11Error(`invoice amount "${amount}" exceeds 21 million BTC`)
  return { network, amountMsat: msat }
}

interface Fields {
  paymentHash?: string
  paymentSecret?: string
  description?: string
  descriptionHash?: string
  expirySeconds?: number
  minFinalCltvExpiry?: number
  payee?: Uint8Array
  paymentSecretRequired: boolean
}

function parseFields(words: number[]): Fields {
  const out: Fields = { paymentSecretRequired: false }
  let i = 0
  while (i < words.length) {
    if (i + 3 > words.length) throw new Bolt11Error('invoice tagged field is truncated')
    const type = words[i] ?? 0
    const length = (words[i + 1] ?? 0) * 32 + (words[i + 2] ?? 0)
    const data = words.slice(i + 3, i + 3 + length)
    if (data.length !== length) throw new Bolt11Error('invoice tagged field overruns the data')
    i += 3 + length
    // Readers keep the first usable field of each type and skip wrong lengths (BOLT 11).
    switch (type) {
      case TAG.p:
        if (length === 52 && out.paymentHash === undefined)
          out.paymentHash = bytesToHex(wordsToBytes(data))
        break
      case TAG.s:
        if (length === 52 && out.paymentSecret === undefined) {
          out.paymentSecret = bytesToHex(wordsToBytes(data))
        }
        break
      case TAG.h:
        if (length === 52 && out.descriptionHash === undefined) {
          out.descriptionHash = bytesToHex(wordsToBytes(data))
        }
        break
      case TAG.n:
        if (length === 53 && out.payee === undefined) out.payee = wordsToBytes(data)
        break
      case TAG.d:
        if (out.description === undefined) {
          try {
            out.description = new TextDecoder('utf-8', { fatal: true }).decode(wordsToBytes(data))
          } catch {
            throw new Bolt11Error('invoice description is not valid UTF-8')
          }
        }
        break
      case TAG.x:
        if (out.expirySeconds === undefined) out.expirySeconds = boundedInt(data, 'expiry')
        break
      case TAG.c:
        if (out.minFinalCltvExpiry === undefined) {
          out.minFinalCltvExpiry = boundedInt(data, 'min_final_cltv_expiry')
        }
        break
      case TAG.features:
        out.paymentSecretRequired = checkFeatures(data)
        break
      default:
        break
    }
  }
  return out
}

/** Fails on unknown compulsory (even) bits; returns whether payment_secret is compulsory. */
function checkFeatures(words: number[]): boolean {
  const bits = wordsToInt(words)
  let paymentSecretRequired = false
  for (let bit = 0; bits >> BigInt(bit) !== 0n; bit++) {
    if (((bits >> BigInt(bit)) & 1n) === 0n) continue
    if (bit % 2 === 0 && !KNOWN_FEATURE_BITS.has(bit)) {
      throw new Bolt11Error(`invoice requires unknown feature bit ${bit}`)
    }
    if (bit === PAYMENT_SECRET_REQUIRED) paymentSecretRequired = true
  }
  return paymentSecretRequired
}

function boundedInt(words: number[], what: string): number {
  // 10 words = 50 bits: beyond any sane expiry and still an exact Number.
  if (words.length > 10) throw new Bolt11Error(`invoice ${what} field is too long`)
  return Number(wordsToInt(words))
}

function checkSignature(sig: Uint8Array, hash: Uint8Array, payee: Uint8Array | undefined): string {
  const recovery = sig[64] ?? 255
  if (recovery > 3) throw new Bolt11Error(`invoice signature recovery id ${recovery} is invalid`)
  const compact = sig.subarray(0, 64)
  if (payee) {
    let ok = false
    try {
      ok = secp256k1.verify(compact, hash, payee, { prehash: false, lowS: false })
    } catch {
      ok = false
    }
    if (!ok) throw new Bolt11Error('invoice signature does not match the payee key (n)')
    return bytesToHex(payee)
  }
  const recovered = new Uint8Array(65)
  recovered[0] = recovery
  recovered.set(compact, 1)
  try {
    return bytesToHex(secp256k1.recoverPublicKey(recovered, hash, { prehash: false }))
  } catch {
    throw new Bolt11Error('invoice signature is not recoverable')
  }
}

/** sha256(utf8(hrp) ‖ data words packed into bytes, zero-padded). */
function signingHash(hrp: string, dataWords: number[]): Uint8Array {
  const hrpBytes = new TextEncoder().encode(hrp)
  const data = wordsToBytes(dataWords, true)
  const msg = new Uint8Array(hrpBytes.length + data.length)
  msg.set(hrpBytes)
  msg.set(data, hrpBytes.length)
  return sha256(msg)
}

/** Packs 5-bit words into bytes; `pad` keeps a final partial byte (zero-filled). */
function wordsToBytes(words: number[], pad = false): Uint8Array {
  const out: number[] = []
  let acc = 0
  let bits = 0
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out.push((acc >> bits) & 0xff)
    }
  }
  if (pad && bits > 0) out.push((acc << (8 - bits)) & 0xff)
  return Uint8Array.from(out)
}

function bytesToWords(bytes: Uint8Array): number[] {
  return bech32.toWords(bytes)
}

function wordsToInt(words: number[]): bigint {
  let n = 0n
  for (const w of words) n = (n << 5n) | BigInt(w)
  return n
}

function intToWords(value: bigint | number, minWords = 1): number[] {
  let n = BigInt(value)
  const out: number[] = []
  while (n > 0n) {
    out.unshift(Number(n & 31n))
    n >>= 5n
  }
  while (out.length < minWords) out.unshift(0)
  return out
}

const NETWORK_PREFIX: Readonly<Record<Bolt11Network, string>> = {
  bitcoin: 'lnbc',
  testnet: 'lntb',
  signet: 'lntbs',
  regtest: 'lnbcrt',
}

/** Parameters of {@link encodeInvoice}. Hashes and secrets are 32-byte lowercase hex. */
export interface EncodeInvoiceParams {
  network: Bolt11Network
  /** Omit for an "any amount" invoice. */
  amountMsat?: bigint
  paymentHash: string
  paymentSecret: string
  description: string
  expirySeconds: number
  /** Unix seconds. */
  timestamp: number
  minFinalCltvExpiry?: number
}

/**
 * Build and sign a BOLT 11 invoice with `nodeSecretKey` (32 bytes). Sets the
 * `var_onion_optin` and `payment_secret` features, as current nodes require.
 *
 * @example
 * encodeInvoice({ network: 'regtest', amountMsat: 1_000_000n, paymentHash, paymentSecret,
 *   description: 'deposit', expirySeconds: 600, timestamp: 1_700_000_000 }, nodeKey)
 */
export function encodeInvoice(params: EncodeInvoiceParams, nodeSecretKey: Uint8Array): string {
  const hrp = NETWORK_PREFIX[params.network] + encodeAmount(params.amountMsat)
  if (
    !Number.isSafeInteger(params.timestamp) ||
    params.timestamp < 0 ||
    params.timestamp >= 2 ** 35
  ) {
    throw new Bolt11Error('invoice timestamp must be an integer in [0, 2^35)')
  }
  if (!Number.isSafeInteger(params.expirySeconds) || params.expirySeconds <= 0) {
    throw new Bolt11Error('invoice expiry must be a positive integer number of seconds')
  }
  const cltv = params.minFinalCltvExpiry ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY
  if (!Number.isSafeInteger(cltv) || cltv <= 0) {
    throw new Bolt11Error('min_final_cltv_expiry must be a positive integer')
  }
  const description = new TextEncoder().encode(params.description)
  if (description.length > MAX_DESCRIPTION_BYTES) {
    throw new Bolt11Error(`invoice description longer than ${MAX_DESCRIPTION_BYTES} bytes`)
  }

  const words: number[] = intToWords(params.timestamp, TIMESTAMP_WORDS)
  const field = (type: number, data: number[]): void => {
    words.push(type, data.length >> 5, data.length & 31, ...data)
  }
  field(TAG.p, bytesToWords(hash32(params.paymentHash, 'payment hash')))
  field(TAG.s, bytesToWords(hash32(params.paymentSecret, 'payment secret')))
  field(TAG.d, bytesToWords(description))
  field(TAG.x, intToWords(params.expirySeconds))
  field(TAG.c, intToWords(cltv))
  field(TAG.features, intToWords((1n << 8n) | (1n << BigInt(PAYMENT_SECRET_REQUIRED))))

  const sig = secp256k1.sign(signingHash(hrp, words), nodeSecretKey, {
    prehash: false,
    format: 'recovered',
  })
  // noble puts the recovery id first; BOLT 11 puts it last.
  const bolt = new Uint8Array(65)
  bolt.set(sig.subarray(1, 65))
  bolt[64] = sig[0] ?? 0
  words.push(...bytesToWords(bolt))
  return bech32.encode(hrp, words, false)
}

function encodeAmount(msat: bigint | undefined): string {
  if (msat === undefined) return ''
  if (msat <= 0n || msat > MAX_MSAT) {
    throw new Bolt11Error('invoice amount must be positive and at most 21 million BTC')
  }
  for (const unit of ['', 'm', 'u', 'n'] as const) {
    const per = MULTIPLIER_MSAT[unit] ?? 1n
    if (msat % per === 0n) return `${msat / per}${unit}`
  }
  return `${msat * 10n}p`
}

function hash32(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new Bolt11Error(`${what} must be 32 bytes of lowercase hex`)
  return hexToBytes(hex)
}
