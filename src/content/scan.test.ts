import { describe, expect, it } from 'vitest'
import { scanForTorrentLinks, TORRENT_LINK_SELECTOR, type AnchorLike, type ScanRoot } from './scan'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'

function anchor(href: string, resolved = href): AnchorLike {
  return { href: resolved, getAttribute: (n) => (n === 'href' ? href : null) }
}

function root(
  anchors: AnchorLike[],
  self?: AnchorLike,
): ScanRoot<AnchorLike> & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    querySelectorAll: (selector) => {
      asked.push(selector)
      return anchors
    },
    ...(self === undefined
      ? {}
      : {
          matches: () => true,
          getAttribute: (n: string) => self.getAttribute(n),
          href: self.href,
        }),
  }
}

describe('scanForTorrentLinks', () => {
  it('asks the browser once with a selector for magnets and .torrent links, case-insensitively', () => {
    const r = root([])
    scanForTorrentLinks(r)
    expect(r.asked).toEqual([TORRENT_LINK_SELECTOR])
    expect(TORRENT_LINK_SELECTOR).toBe('a[href^="magnet:" i], a[href*=".torrent" i]')
  })

  it('keeps the links that name a torrent, with what they say about it', () => {
    const magnet = anchor(`magnet:?xt=urn:btih:${HEX}&xl=42`)
    const file = anchor(`/t/${HEX}.torrent`, `https://idx.example/t/${HEX}.torrent`)
    const found = scanForTorrentLinks(
      root([
        magnet,
        anchor('magnet:?dn=nothing'),
        anchor('/x.torrent.html', 'https://idx.example/x.torrent.html'),
        file,
      ]),
    )
    expect(found).toEqual([
      { anchor: magnet, link: { infoHash: HEX, bytes: '42' } },
      { anchor: file, link: { infoHash: HEX } },
    ])
  })

  it('includes an added element that is itself a link', () => {
    const self = anchor(`magnet:?xt=urn:btih:${HEX}`)
    const found = scanForTorrentLinks(root([], self))
    expect(found.map((f) => f.link.infoHash)).toEqual([HEX])
  })
})
