import type { NostrEvent } from 'nostr-tools/core'
import {
  AnnounceEventError,
  parseAnnounceEvent,
  type Kind21000Announce,
} from '../../../src/nostr/kind21000'
import { CLIENT_AUTH, TORRENT_ANNOUNCE, TORRENT_METADATA } from '../../../src/nostr/kinds'
import { parseTorrentEvent, TorrentEventError } from '../../../src/nostr/nip35'
import {
  announceKeyString,
  compareNewestFirst,
  isNewer,
  type AnnounceKey,
  type AnnounceStore,
  type AnnounceWrites,
  type PutResult,
  type StoredAnnounce,
} from '../store/announce-store'
import { scopeKey } from '../store/database'
import type { TorrentIndex, TorrentPutResult } from '../store/torrent-index'
import { acceptAllAnnounces, type AnnouncePolicy, type PolicyDecision } from './announce-policy'
import type { RelayClient, RelayLogger } from './client'
import { checkEventShape, computeEventId, readEventId } from './event-validation'
import { FilterError, parseFilter, type Filter } from './filters'
import { GroupCommit, type GroupWork, type UnitOptions } from './group-commit'
import { KeyedLock } from './keyed-lock'
import { DEFAULT_ANNOUNCE_TTL_SECONDS, resolveLimits, type RelayLimits } from './limits'
import { parseFrame, type FrameResult } from './messages'
import { readExpiration } from './nip40'
import { TokenBucket } from './rate-limit'
import { SeenIds } from './seen-ids'
import { MAX_PENDING, SubscriptionRegistry } from './subscriptions'
import { TurnBatch } from './turn-batch'
import type { Verifier, VerifyOutcome } from './verifier'

export interface RelayOptions {
  store: AnnounceStore
  verifier: Verifier
  /** Runs between validation and storage of every announce; accepts all by default. */
  policy?: AnnouncePolicy
  /** Where NIP-35 torrent events (kind 2003) are kept; without one they are refused. */
  torrents?: TorrentIndex
  /** Unix time in milliseconds; injected so tests can move time. */
  clock?: () => number
  limits?: Partial<RelayLimits>
  /** How long an announce stays in the swarm after its `created_at`. */
  announceTtlSeconds?: number
  /** Ephemeral ids remembered for duplicate detection, at most. */
  maxSeenIds?: number
  logger?: RelayLogger
}

export const BLOCKED_KIND_MESSAGE =
  'blocked: this relay accepts only kind 21000 announces and ephemeral events'

const EPHEMERAL_MIN = 20000
const EPHEMERAL_MAX = 29999
const DEFAULT_MAX_SEEN_IDS = 100_000

interface ClientState {
  client: RelayClient
  bucket: TokenBucket
}

/**
 * The transport-free NIP-01 core: it takes raw text frames from connections,
 * answers through `client.send`, and keeps the swarm of current announces.
 * It never throws into the transport; unexpected failures become `error:`
 * replies and a log line.
 */
export class Relay {
  readonly limits: RelayLimits
  readonly announceTtlSeconds: number
  readonly store: AnnounceStore
  private readonly verifier: Verifier
  private readonly policy: AnnouncePolicy
  private readonly torrents: TorrentIndex | undefined
  private readonly clock: () => number
  private readonly logger: RelayLogger
  private readonly clients = new Map<string, ClientState>()
  private readonly subs: SubscriptionRegistry
  private readonly seen: SeenIds
  private readonly announceLock = new KeyedLock()
  /** The store's synchronous side, and the group commit every announce is admitted through. */
  private readonly writes: AnnounceWrites
  private readonly commit: GroupCommit
  /** The stored announce of a key, looked up for a turn's announces at once, before verification. */
  private readonly stored: TurnBatch<AnnounceKey, StoredAnnounce | undefined>

  constructor(opts: RelayOptions) {
    this.limits = resolveLimits(opts.limits)
    this.announceTtlSeconds = opts.announceTtlSeconds ?? DEFAULT_ANNOUNCE_TTL_SECONDS
    if (!Number.isSafeInteger(this.announceTtlSeconds) || this.announceTtlSeconds < 1) {
      throw new RangeError(
        `announce TTL must be a positive integer, got ${this.announceTtlSeconds}`,
      )
    }
    this.store = opts.store
    this.verifier = opts.verifier
    this.policy = opts.policy ?? acceptAllAnnounces
    this.torrents = opts.torrents
    this.clock = opts.clock ?? Date.now
    this.logger = opts.logger ?? console
    this.subs = new SubscriptionRegistry(this.limits.maxSubscriptions)
    this.writes = opts.store.writes
    this.commit = new GroupCommit(this.writes, this.logger)
    this.stored = new TurnBatch((keys) => this.writes.currentMany(keys, this.nowSeconds()))
    // An ephemeral event stays acceptable until it is ephemeralMaxAge old, and
    // it may arrive up to maxFuture early: its id must be remembered that long.
    const retentionMs = (this.limits.ephemeralMaxAgeSeconds + this.limits.maxFutureSeconds) * 1000
    this.seen = new SeenIds(opts.maxSeenIds ?? DEFAULT_MAX_SEEN_IDS, retentionMs, this.clock)
  }

  /**
   * Handles one text frame from a client. Resolves once every reply to it is
   * sent; it does not reject.
   */
  async handleMessage(client: RelayClient, raw: string): Promise<void> {
    try {
      await this.dispatch(this.stateOf(client), raw)
    } catch (err) {
      this.logger.error('relay: message handling failed', err)
      safeSend(client, ['NOTICE', 'error: internal error while handling the message'])
    }
  }

  /** Forgets a connection and its subscriptions. */
  disconnect(client: RelayClient): void {
    this.clients.delete(client.id)
    this.subs.closeClient(client.id)
  }

  /**
   * Sends an event another relay process stored (and verified) to this
   * process's matching subscriptions, as if it had been published here.
   */
  deliverStoredElsewhere(ev: NostrEvent): void {
    this.broadcast(ev)
  }

  /** Removes expired announces from the store; returns how many. */
  prune(): Promise<number> {
    return this.store.pruneExpired(this.nowSeconds())
  }

  /**
   * Live connections and subscriptions, and (with a SQLite store) how many
   * group transactions committed how many announces, for monitoring.
   */
  get stats(): {
    clients: number
    subscriptions: number
    groupCommits: { groups: number; units: number }
  } {
    return {
      clients: this.clients.size,
      subscriptions: this.subs.size,
      groupCommits: this.commit.stats,
    }
  }

  private stateOf(client: RelayClient): ClientState {
    let state = this.clients.get(client.id)
    if (state === undefined) {
      const { rateLimitBurst, rateLimitPerSecond } = this.limits
      state = { client, bucket: new TokenBucket(rateLimitBurst, rateLimitPerSecond, this.clock) }
      this.clients.set(client.id, state)
    }
    return state
  }

  private async dispatch(state: ClientState, raw: string): Promise<void> {
    const { client } = state
    const frame = parseFrame(raw, this.limits.maxMessageBytes, this.limits.maxSubIdLength)
    if (!state.bucket.take()) {
      this.rateLimited(client, frame)
      return
    }
    if (frame.kind === 'notice') {
      notice(client, frame.message)
      return
    }
    if (frame.kind === 'reject-event') {
      ok(client, frame.id, false, frame.reason)
      return
    }
    const msg = frame.message
    switch (msg.type) {
      case 'EVENT':
        return this.handleEvent(client, msg.event)
      case 'REQ':
        return this.handleReq(client, msg.subId, msg.filters)
      case 'CLOSE':
        this.subs.close(client.id, msg.subId)
        return
    }
  }

  private rateLimited(client: RelayClient, frame: FrameResult): void {
    const reason = `rate-limited: more than ${this.limits.rateLimitPerSecond} messages per second`
    if (frame.kind === 'notice') {
      notice(client, reason)
      return
    }
    if (frame.kind === 'reject-event') {
      ok(client, frame.id, false, reason)
      return
    }
    const msg = frame.message
    if (msg.type === 'REQ') {
      closed(client, msg.subId, reason)
      return
    }
    const id = msg.type === 'EVENT' ? readEventId(msg.event) : undefined
    if (id !== undefined) {
      ok(client, id, false, reason)
      return
    }
    notice(client, reason)
  }

  private async handleEvent(client: RelayClient, value: unknown): Promise<void> {
    const id = readEventId(value)
    if (id === undefined) {
      notice(client, 'invalid: EVENT needs an event object with a 64-char lowercase hex id')
      return
    }
    const verdict = await this.judgeEvent(client, value)
    ok(client, id, verdict.accepted, verdict.message)
  }

  /** Decides on one event; an accepted event has been stored and broadcast on return. */
  private async judgeEvent(client: RelayClient, value: unknown): Promise<Verdict> {
    const shape = checkEventShape(value, this.limits)
    if (!shape.ok) return refuse(`invalid: ${shape.reason}`)
    const ev = shape.event
    // A verifier with check() hashes the id itself, off the main thread when
    // it is a worker pool; otherwise the id is checked here, first.
    if (this.verifier.check === undefined && computeEventId(ev) !== ev.id) return refuse(BAD_ID)
    const now = this.nowSeconds()
    const ahead = ev.created_at - now
    if (ahead > this.limits.maxFutureSeconds) {
      return refuse(
        `invalid: created_at is ${ahead} s in the future, limit ${this.limits.maxFutureSeconds} s`,
      )
    }
    const expiration = readExpiration(ev)
    if (expiration instanceof Error) return refuse(`invalid: ${expiration.message}`)
    if (expiration !== undefined && expiration <= now) {
      return refuse(`invalid: event expired at ${expiration} (NIP-40)`)
    }
    if (ev.kind === TORRENT_ANNOUNCE) return this.judgeAnnounce(client, ev, now)
    if (ev.kind === TORRENT_METADATA && this.torrents !== undefined) {
      return this.judgeTorrent(this.torrents, ev)
    }
    if (ev.kind === CLIENT_AUTH) {
      return refuse('invalid: kind 22242 belongs in AUTH, never in EVENT')
    }
    if (ev.kind >= EPHEMERAL_MIN && ev.kind <= EPHEMERAL_MAX) return this.judgeEphemeral(ev, now)
    return refuse(BLOCKED_KIND_MESSAGE)
  }

  private async judgeEphemeral(ev: NostrEvent, now: number): Promise<Verdict> {
    const age = now - ev.created_at
    const maxAge = this.limits.ephemeralMaxAgeSeconds
    if (age > maxAge) {
      return refuse(
        `invalid: created_at is ${age} s old; ephemeral events older than ${maxAge} s are refused`,
      )
    }
    if (this.seen.has(ev.id)) return this.duplicate(ev, DUPLICATE)
    const signature = await this.checkSignature(ev)
    if (signature !== undefined) return signature
    // Checked again: the same event may have been verified concurrently.
    if (this.seen.has(ev.id)) return accept(DUPLICATE)
    this.seen.add(ev.id)
    this.broadcast(ev)
    return accept()
  }

  /** A NIP-35 torrent event: validated with the extension's own parser, then kept and broadcast. */
  private async judgeTorrent(torrents: TorrentIndex, ev: NostrEvent): Promise<Verdict> {
    let infoHash: string
    try {
      infoHash = parseTorrentEvent(ev).infoHash
    } catch (err) {
      if (err instanceof TorrentEventError) return refuse(`invalid: ${err.message}`)
      throw err
    }
    if (await torrents.has(ev.id)) return this.duplicate(ev, DUPLICATE)
    const signature = await this.checkSignature(ev)
    if (signature !== undefined) return signature
    let result: TorrentPutResult
    try {
      result = await torrents.put(ev, infoHash)
    } catch (err) {
      this.logger.error('relay: storing a torrent event failed', err)
      return refuse('error: the torrent event could not be stored; try again')
    }
    if (result === 'duplicate') return accept(DUPLICATE)
    if (result === 'index-full') return refuse('blocked: the torrent index is full')
    if (result === 'author-full') {
      return refuse('blocked: this key has published as many torrent events as the relay keeps')
    }
    this.broadcast(ev)
    return accept()
  }

  private async judgeAnnounce(client: RelayClient, ev: NostrEvent, now: number): Promise<Verdict> {
    let announce: Kind21000Announce
    try {
      announce = parseAnnounceEvent(ev)
    } catch (err) {
      if (err instanceof AnnounceEventError) return refuse(`invalid: ${err.message}`)
      throw err
    }
    const ttl = this.announceTtlSeconds
    const ttlEnd = ev.created_at + ttl
    if (ttlEnd <= now) {
      return refuse(
        `invalid: announce is ${now - ev.created_at} s old, older than the ${ttl} s TTL`,
      )
    }
    const entry: StoredAnnounce = {
      event: ev,
      infoHash: announce.infoHash,
      session: announce.session ?? '',
      expiresAt: Math.min(ttlEnd, announce.expiration ?? ttlEnd),
    }
    const key: AnnounceKey = { pubkey: ev.pubkey, infoHash: entry.infoHash, session: entry.session }
    // Cheap checks first, so replays cost no signature verification.
    const early = duplicateReason(ev, await this.stored.get(key))
    if (early !== undefined) return this.duplicate(ev, early)
    const signature = await this.checkSignature(ev)
    if (signature !== undefined) return signature

    return this.announceLock.run(announceKeyString(key), () =>
      this.admitAnnounce(client, ev, announce, entry, key),
    )
  }

  /**
   * Checks id (when the verifier does) and signature; undefined when both are
   * good, else the refusal. A failing verifier is an `error:`, never a hang.
   */
  private async checkSignature(ev: NostrEvent): Promise<Verdict | undefined> {
    let outcome: VerifyOutcome
    try {
      outcome =
        this.verifier.check === undefined
          ? (await this.verifier.verify(ev))
            ? 'valid'
            : 'bad-signature'
          : await this.verifier.check(ev)
    } catch (err) {
      this.logger.error('relay: signature verification failed', err)
      return refuse('error: the signature could not be checked; try again')
    }
    if (outcome === 'valid') return undefined
    return refuse(outcome === 'bad-id' ? BAD_ID : BAD_SIGNATURE)
  }

  /**
   * A duplicate is answered without verification. When the verifier owns the
   * id check, the id is hashed here first, so an edited event claiming a
   * stored id is still told its id is wrong rather than "duplicate".
   */
  private duplicate(ev: NostrEvent, message: string): Verdict {
    if (this.verifier.check !== undefined && computeEventId(ev) !== ev.id) return refuse(BAD_ID)
    return accept(message)
  }

  /**
   * Policy and store write inside this turn's group transaction; the verdict
   * (and the broadcast) come only after the group committed. Runs under the
   * announce's key lock, so one session never has two announces in a group.
   */
  private async admitAnnounce(
    client: RelayClient,
    ev: NostrEvent,
    announce: Kind21000Announce,
    entry: StoredAnnounce,
    key: AnnounceKey,
  ): Promise<Verdict> {
    const commit = this.commit
    let admitted: Admitted
    try {
      const step = await commit.submit(
        () => this.decideAndStore(client, ev, announce, entry, key),
        this.unitOptions(ev, announce, key),
      )
      if ('pending' in step) {
        // An asynchronous policy: its decision arrives after the group that
        // ran it, and the announce goes into a later group.
        let decision: PolicyDecision
        try {
          decision = await step.pending
        } catch (err) {
          this.logger.error('relay: announce policy failed', err)
          return refuse(POLICY_ERROR)
        }
        if (!decision.accept) return refuse(decision.message)
        admitted = await commit.submit(() => this.storeAnnounce(entry, this.nowSeconds()))
      } else {
        admitted = step
      }
    } catch (err) {
      // The group did not commit: nothing of this announce is durable.
      this.logger.error('relay: committing an announce failed', err)
      return refuse(STORE_ERROR)
    }
    // After the commit, and still inside the key lock: subscribers see one
    // session's announces in order, and only durable ones.
    if (admitted.stored) this.broadcast(ev)
    return admitted.verdict
  }

  /**
   * Every row an announce's unit touches, when the policy names its own (the
   * store's are the announcer's; see scoped in store/database.ts), and the
   * reads it starts with: the recheck's and the policy's.
   */
  private unitOptions(ev: NostrEvent, announce: Kind21000Announce, key: AnnounceKey): UnitOptions {
    const touched = this.policy.touches?.(ev, announce)
    if (touched === undefined) return {}
    return {
      keys: [...touched, scopeKey.user(ev.pubkey)],
      prefetch: () => {
        this.policy.readAhead?.(ev, announce)
        this.writes.readAheadCurrent?.(key)
      },
    }
  }

  /** One announce's unit of group work: recheck, policy, store. Synchronous. */
  private decideAndStore(
    client: RelayClient,
    ev: NostrEvent,
    announce: Kind21000Announce,
    entry: StoredAnnounce,
    key: AnnounceKey,
  ): GroupWork<Admitted | { pending: Promise<PolicyDecision> }> {
    const t = this.nowSeconds()
    // The policy's first read travels with the recheck's (PostgreSQL: one round trip for both).
    this.policy.readAhead?.(ev, announce)
    const known = duplicateReason(ev, this.writes.current(key, t))
    if (known !== undefined) return done(accept(known))
    let decision: PolicyDecision | Promise<PolicyDecision>
    try {
      decision = this.policy(ev, announce, client)
    } catch (err) {
      this.logger.error('relay: announce policy failed', err)
      return done(refuse(POLICY_ERROR), true)
    }
    // What an asynchronous policy wrote synchronously is kept, as it was
    // before group commit; its decision is awaited outside the group.
    if (isPromiseLike(decision)) return { value: { pending: Promise.resolve(decision) } }
    // A refusal must leave no trace, whatever a policy wrote before refusing.
    if (!decision.accept) return done(refuse(decision.message), true)
    // The recheck above read the key in this transaction, under its lock.
    return this.storeAnnounce(entry, t, true)
  }

  /** `checked`: the key was read in this unit and holds nothing as new. */
  private storeAnnounce(entry: StoredAnnounce, now: number, checked = false): GroupWork<Admitted> {
    let result: PutResult = 'stored'
    try {
      if (checked) this.writes.replace(entry)
      else result = this.writes.put(entry, now)
    } catch (err) {
      this.logger.error('relay: storing an announce failed', err)
      return done(refuse(STORE_ERROR), true)
    }
    // Stale cannot happen under the key lock after the recheck; if it does,
    // the policy's charge for an announce that is not kept is undone too.
    if (result === 'stale') return done(accept(NEWER_STORED), true)
    return { value: { verdict: accept(), stored: true } }
  }

  private async handleReq(client: RelayClient, subId: string, raw: unknown[]): Promise<void> {
    const { maxFilters, maxSubscriptions, defaultLimit } = this.limits
    if (raw.length > maxFilters) {
      closed(client, subId, `invalid: ${raw.length} filters, limit ${maxFilters}`)
      return
    }
    let filters: Filter[]
    try {
      filters = raw.map((f) => parseFilter(f, this.limits))
    } catch (err) {
      if (err instanceof FilterError) {
        closed(client, subId, `invalid: ${err.message}`)
        return
      }
      throw err
    }
    const sub = this.subs.open(client.id, subId, filters)
    if (sub === undefined) {
      closed(
        client,
        subId,
        `rate-limited: ${maxSubscriptions} subscriptions are open on this connection; CLOSE one first`,
      )
      return
    }
    const now = this.nowSeconds()
    const sent = new Set<string>()
    try {
      for (const filter of filters) {
        const limit = filter.limit ?? defaultLimit
        if (limit === 0) continue
        const events = await this.queryStored(filter, now, limit)
        if (!this.subs.isOpen(sub)) return
        for (const ev of events) {
          if (sent.has(ev.id)) continue
          sent.add(ev.id)
          client.send(['EVENT', subId, ev])
        }
      }
    } catch (err) {
      this.logger.error('relay: query failed', err)
      if (!this.subs.isOpen(sub)) return
      this.subs.close(client.id, subId)
      closed(client, subId, 'error: could not query stored announces')
      return
    }
    if (!this.subs.isOpen(sub)) return
    client.send(['EOSE', subId])
    const pending = sub.pending ?? []
    sub.pending = null
    for (const ev of pending) {
      if (!sent.has(ev.id)) client.send(['EVENT', subId, ev])
    }
  }

  /** The stored events a filter matches, across announces and torrent events, newest first. */
  private async queryStored(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
    const wants = (kind: number): boolean => filter.kinds === undefined || filter.kinds.has(kind)
    const announces = wants(TORRENT_ANNOUNCE) ? await this.store.query(filter, now, limit) : []
    if (this.torrents === undefined || !wants(TORRENT_METADATA)) return announces
    const torrents = await this.torrents.query(filter, limit)
    if (announces.length === 0) return torrents
    // Both lists are newest first; one filter's limit covers them together.
    return [...announces, ...torrents].sort(compareNewestFirst).slice(0, limit)
  }

  private broadcast(ev: NostrEvent): void {
    for (const sub of this.subs.matching(ev)) {
      if (sub.pending !== null) {
        // Bounded so a slow store cannot grow memory without limit; the
        // dropped events are live ones the client can re-query.
        if (sub.pending.length < MAX_PENDING) sub.pending.push(ev)
        continue
      }
      const state = this.clients.get(sub.clientId)
      if (state !== undefined) safeSend(state.client, ['EVENT', sub.id, ev])
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000)
  }
}

/** The OK reply to an event. */
interface Verdict {
  accepted: boolean
  message: string
}

const accept = (message = ''): Verdict => ({ accepted: true, message })
const refuse = (message: string): Verdict => ({ accepted: false, message })

/** Where an announce's group work ended; `stored` announces are broadcast after the commit. */
interface Admitted {
  verdict: Verdict
  stored: boolean
}

/** A verdict for an announce that was not stored; `rollback` undoes its savepoint. */
const done = (verdict: Verdict, rollback = false): GroupWork<Admitted> => ({
  value: { verdict, stored: false },
  rollback,
})

const DUPLICATE = 'duplicate: already have this event'
const BAD_ID = 'invalid: id is not the sha256 of the serialized event'
const BAD_SIGNATURE = 'invalid: bad signature'
const NEWER_STORED = 'duplicate: a newer announce of this session is already stored'
const POLICY_ERROR = 'error: the announce could not be processed; try again'
const STORE_ERROR = 'error: the announce could not be stored; try again'

function ok(client: RelayClient, id: string, accepted: boolean, message: string): void {
  client.send(['OK', id, accepted, message])
}

function closed(client: RelayClient, subId: string, message: string): void {
  client.send(['CLOSED', subId, message])
}

function notice(client: RelayClient, message: string): void {
  client.send(['NOTICE', message])
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** One subscriber's broken socket must not stop delivery to the others. */
function safeSend(client: RelayClient, msg: unknown[]): void {
  try {
    client.send(msg)
  } catch {
    // The transport reports and closes broken connections itself.
  }
}

/**
 * The duplicate: reason when this announce, or a newer one of its session,
 * is `current`, the one stored for its key. A stored event with this id can
 * only be the current one of its own key, so that one read tells both.
 */
function duplicateReason(ev: NostrEvent, current: StoredAnnounce | undefined): string | undefined {
  if (current === undefined) return undefined
  if (current.event.id === ev.id) return DUPLICATE
  return isNewer(ev, current.event) ? undefined : NEWER_STORED
}
