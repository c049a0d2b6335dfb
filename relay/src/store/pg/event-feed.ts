import type { NostrEvent } from 'nostr-tools/core'
import type { SqlDatabase } from '../database'
import { PgDatabase } from './pg-database'

/**
 * What relay processes on one PostgreSQL database tell each other about
 * every event one of them stored: the event itself, or only its id when the
 * event would not fit PostgreSQL's 8000-byte NOTIFY payload (the listener
 * then reads it from the database).
 */
export type FeedItem = { event: NostrEvent } | { id: string }

/** Room left in the payload for the sender's origin tag. */
const MAX_PAYLOAD_BYTES = 7900

export function encodeFeedItem(ev: NostrEvent): string {
  const json = JSON.stringify(ev)
  return Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES ? json : JSON.stringify({ id: ev.id })
}

/** The item in a payload, or undefined for one that is not ours (logged by the caller). */
export function decodeFeedItem(payload: string): FeedItem | undefined {
  let v: unknown
  try {
    v = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  if (typeof o.id !== 'string' || !/^[0-9a-f]{64}$/.test(o.id)) return undefined
  if (typeof o.sig === 'string' && typeof o.pubkey === 'string' && Array.isArray(o.tags)) {
    return { event: v as NostrEvent }
  }
  return Object.keys(o).length === 1 ? { id: o.id } : undefined
}

/**
 * Tells the relay processes sharing this PostgreSQL database that `ev` was
 * stored, once the surrounding transaction commits; nothing on SQLite, which
 * one process serves.
 */
export function tellOtherProcesses(db: SqlDatabase, ev: NostrEvent): void {
  if (db instanceof PgDatabase) db.notify(encodeFeedItem(ev))
}

/**
 * An event another process stored, read by id from the primary (a replica
 * may not have it yet): an announce, or a kind 2003 torrent event when this
 * database has the torrent index's table.
 */
export function storedEventById(db: SqlDatabase, id: string): NostrEvent | undefined {
  const announce = db.prepare('SELECT event FROM announces WHERE id = ?').pluck().get(id)
  if (typeof announce === 'string') return JSON.parse(announce) as NostrEvent
  const hasTorrents = db.prepare("SELECT to_regclass('torrents') IS NOT NULL").pluck().get() === 1
  if (!hasTorrents) return undefined
  const torrent = db.prepare('SELECT event FROM torrents WHERE id = ?').pluck().get(id)
  return typeof torrent === 'string' ? (JSON.parse(torrent) as NostrEvent) : undefined
}
