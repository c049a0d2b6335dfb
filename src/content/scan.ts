/**
 * Finds the torrent links in a part of the page. One selector query per
 * root, so scanning the nodes a page added costs little more than the
 * browser's own selector matching.
 */
import { parseTorrentHref, type TorrentLink } from './magnet'

/** Links that may be torrents; `parseTorrentHref` decides. */
export const TORRENT_LINK_SELECTOR = 'a[href^="magnet:" i], a[href*=".torrent" i]'

/** The part of an anchor element the scan reads. */
export interface AnchorLike {
  getAttribute(name: string): string | null
  /** The resolved URL. */
  readonly href: string
}

/** A root to scan: the document, or an element a page added (which may itself be a link). */
export interface ScanRoot<A extends AnchorLike> {
  querySelectorAll(selector: string): Iterable<A>
  matches?: (selector: string) => boolean
}

export interface FoundLink<A> {
  anchor: A
  link: TorrentLink
}

/** The links under `root` (and `root` itself) that may be torrents, in document order. */
export function candidateAnchors<A extends AnchorLike>(root: ScanRoot<A>): A[] {
  const out: A[] = []
  if (root.matches?.(TORRENT_LINK_SELECTOR) === true) out.push(root as unknown as A)
  for (const anchor of root.querySelectorAll(TORRENT_LINK_SELECTOR)) out.push(anchor)
  return out
}

/** The torrent a candidate link names, if any. */
export function torrentLinkOf(anchor: AnchorLike): TorrentLink | null {
  return parseTorrentHref(anchor.getAttribute('href') ?? '', anchor.href)
}

export function scanForTorrentLinks<A extends AnchorLike>(root: ScanRoot<A>): FoundLink<A>[] {
  const out: FoundLink<A>[] = []
  for (const anchor of candidateAnchors(root)) {
    const link = torrentLinkOf(anchor)
    if (link !== null) out.push({ anchor, link })
  }
  return out
}
