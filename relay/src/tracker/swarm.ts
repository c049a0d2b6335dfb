/**
 * The peers HTTP clients are told about: every session whose last announce
 * the ledger accepted, with the address its announce came from, until it
 * stops or goes quiet. Kept in memory only: a restart loses the list, and
 * clients rebuild it on their next announce (BEP 3 clients re-announce at
 * `interval`). The raw peer_id lives here, never in the database, because
 * the dictionary form of the answer (BEP 3) carries it.
 */
import type { PeerAddress } from './bep7-addresses'

export interface ListedAddress {
  ip: string
  port: number
  /** The compact entry: 6 bytes (BEP 23) or 18 bytes (BEP 7). */
  compact: Uint8Array
}

export interface SwarmPeer {
  /** The session tag: one entry per client session, whatever its address family. */
  session: string
  peerId: Uint8Array
  v4?: ListedAddress
  v6?: ListedAddress
  seeder: boolean
  /** Unix seconds. */
  expiresAt: number
}

export interface SwarmCounts {
  complete: number
  incomplete: number
  /** `completed` events seen while the swarm had listed peers (BEP 48 `downloaded`). */
  downloaded: number
}

export interface SwarmOptions {
  /** A session that has not announced for this long is dropped. */
  peerTtlSeconds: number
  /** Most peers listed over all swarms; further sessions are accounted but not listed. */
  maxPeers: number
}

interface Swarm {
  peers: SwarmPeer[]
  /** session → index in `peers`, for O(1) updates and swap-removal. */
  index: Map<string, number>
  seeders: number
  downloaded: number
  /** Unix seconds: the next time this swarm's expired peers are dropped. */
  sweepAt: number
}

/** Seconds between two sweeps of one swarm; expired peers may be shown this much longer. */
const SWEEP_EVERY = 30

/** Every swarm's listed peers. */
export class Swarms {
  private readonly swarms = new Map<string, Swarm>()
  private total = 0

  constructor(private readonly options: SwarmOptions) {}

  /** Peers listed over all swarms. */
  get size(): number {
    return this.total
  }

  /** Swarms with at least one listed peer or a download count. */
  get swarmCount(): number {
    return this.swarms.size
  }

  /**
   * Lists (or refreshes) a session under `address`. Returns false when the
   * tracker is full and a new session could not be listed.
   */
  upsert(
    infoHash: string,
    session: string,
    peer: {
      peerId: Uint8Array
      address: PeerAddress
      port: number
      compact: Uint8Array
      seeder: boolean
    },
    now: number,
  ): boolean {
    const swarm = this.swarm(infoHash, now)
    this.sweepIfDue(swarm, now)
    const listed: ListedAddress = { ip: peer.address.ip, port: peer.port, compact: peer.compact }
    const at = swarm.index.get(session)
    if (at !== undefined) {
      const p = swarm.peers[at]
      if (p === undefined) throw new Error('swarm index out of step')
      if (p.seeder !== peer.seeder) swarm.seeders += peer.seeder ? 1 : -1
      p.seeder = peer.seeder
      p.peerId = peer.peerId
      p.expiresAt = now + this.options.peerTtlSeconds
      if (peer.address.family === 4) p.v4 = listed
      else p.v6 = listed
      return true
    }
    if (this.total >= this.options.maxPeers) {
      if (swarm.peers.length === 0 && swarm.downloaded === 0) this.swarms.delete(infoHash)
      return false
    }
    const p: SwarmPeer = {
      session,
      peerId: peer.peerId,
      seeder: peer.seeder,
      expiresAt: now + this.options.peerTtlSeconds,
      ...(peer.address.family === 4 ? { v4: listed } : { v6: listed }),
    }
    swarm.index.set(session, swarm.peers.length)
    swarm.peers.push(p)
    if (p.seeder) swarm.seeders++
    this.total++
    return true
  }

  /** Unlists a session (it stopped, or the ledger refused its announce). */
  remove(infoHash: string, session: string): void {
    const swarm = this.swarms.get(infoHash)
    if (swarm === undefined) return
    const at = swarm.index.get(session)
    if (at !== undefined) this.removeAt(swarm, at)
    if (swarm.peers.length === 0 && swarm.downloaded === 0) this.swarms.delete(infoHash)
  }

  /** Counts a `completed` event. */
  completed(infoHash: string, now: number): void {
    this.swarm(infoHash, now).downloaded++
  }

  /**
   * Up to `numwant` peers other than `session`. A seeder is given leechers
   * only: another seeder has nothing for it. The pick is a window at a
   * random offset; swap-removal keeps the order shuffled over time.
   */
  select(
    infoHash: string,
    session: string,
    numwant: number,
    forSeeder: boolean,
    now: number,
    random: () => number = Math.random,
  ): SwarmPeer[] {
    const swarm = this.swarms.get(infoHash)
    if (swarm === undefined || numwant <= 0) return []
    this.sweepIfDue(swarm, now)
    const n = swarm.peers.length
    const out: SwarmPeer[] = []
    const start = Math.floor(random() * n)
    for (let i = 0; i < n && out.length < numwant; i++) {
      const p = swarm.peers[(start + i) % n]
      if (p === undefined || p.session === session || p.expiresAt <= now) continue
      if (forSeeder && p.seeder) continue
      out.push(p)
    }
    return out
  }

  counts(infoHash: string, now: number): SwarmCounts {
    const swarm = this.swarms.get(infoHash)
    if (swarm === undefined) return { complete: 0, incomplete: 0, downloaded: 0 }
    this.sweepIfDue(swarm, now)
    return {
      complete: swarm.seeders,
      incomplete: swarm.peers.length - swarm.seeders,
      downloaded: swarm.downloaded,
    }
  }

  /**
   * Drops expired peers everywhere, and swarms left without peers, download
   * count and all: otherwise every torrent ever completed here would stay in
   * memory. Returns how many peers went. The tracker runs it every minute.
   */
  sweep(now: number): number {
    let dropped = 0
    for (const [ih, swarm] of this.swarms) {
      dropped += this.dropExpired(swarm, now)
      if (swarm.peers.length === 0) this.swarms.delete(ih)
    }
    return dropped
  }

  private swarm(infoHash: string, now: number): Swarm {
    let swarm = this.swarms.get(infoHash)
    if (swarm === undefined) {
      swarm = { peers: [], index: new Map(), seeders: 0, downloaded: 0, sweepAt: now + SWEEP_EVERY }
      this.swarms.set(infoHash, swarm)
    }
    return swarm
  }

  private sweepIfDue(swarm: Swarm, now: number): void {
    if (now < swarm.sweepAt) return
    swarm.sweepAt = now + SWEEP_EVERY
    this.dropExpired(swarm, now)
  }

  private dropExpired(swarm: Swarm, now: number): number {
    let dropped = 0
    // Backwards, so swap-removal never moves an unvisited peer behind the cursor.
    for (let i = swarm.peers.length - 1; i >= 0; i--) {
      const p = swarm.peers[i]
      if (p !== undefined && p.expiresAt <= now) {
        this.removeAt(swarm, i)
        dropped++
      }
    }
    return dropped
  }

  private removeAt(swarm: Swarm, at: number): void {
    const p = swarm.peers[at]
    const last = swarm.peers.pop()
    if (p === undefined || last === undefined) return
    swarm.index.delete(p.session)
    if (last !== p) {
      swarm.peers[at] = last
      swarm.index.set(last.session, at)
    }
    if (p.seeder) swarm.seeders--
    this.total--
  }
}
