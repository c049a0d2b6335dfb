import { describe, expect, it } from 'vitest'
import { parseMagnet, parseTorrentHref, parseTorrentUrl } from './magnet'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const B32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'

describe('parseMagnet', () => {
  it('reads a hex btih, the exact length and the display name', () => {
    expect(
      parseMagnet(
        `magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=Big+Buck%20Bunny&xl=276134947&tr=udp%3A%2F%2Ft`,
      ),
    ).toEqual({ infoHash: HEX, bytes: '276134947', name: 'Big Buck Bunny' })
  })

  it('turns a base32 btih into hex, in either case', () => {
    expect(parseMagnet(`magnet:?xt=urn:btih:${B32}`)).toEqual({ infoHash: HEX })
    expect(parseMagnet(`magnet:?xt=urn:btih:${B32.toLowerCase()}`)).toEqual({ infoHash: HEX })
    // Bytes 0xff, 0x2b ('+') and 0x00 survive.
    expect(parseMagnet('magnet:?xt=urn:btih:74VSAAABENCWPCNLZXXQCI2FM6E2XTPP')?.infoHash).toBe(
      'ff2b20000123456789abcdef0123456789abcdef',
    )
  })

  it('takes the first usable exact topic, numbered ones included, and prefers v1 in a hybrid', () => {
    const v2 = `1220${'ab'.repeat(32)}`
    expect(parseMagnet(`magnet:?xt=urn:btmh:${v2}&xt=urn:btih:${HEX}`)?.infoHash).toBe(HEX)
    expect(parseMagnet(`magnet:?xt=urn:btmh:${v2}`)?.infoHash).toBe('ab'.repeat(20))
    expect(parseMagnet(`magnet:?xt.1=urn:sha1:XYZ&xt.2=urn:btih:${HEX}`)?.infoHash).toBe(HEX)
    expect(parseMagnet(`magnet:?XT=URN:BTIH:${HEX}`)?.infoHash).toBe(HEX)
  })

  it('ignores a length that is not a plain decimal within 64 bits', () => {
    for (const xl of ['-1', '1.5', '0x10', '01', '18446744073709551616', '']) {
      expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&xl=${xl}`)).toEqual({ infoHash: HEX })
    }
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&xl=18446744073709551615`)?.bytes).toBe(
      '18446744073709551615',
    )
  })

  it.each([
    'magnet:?dn=no+hash',
    `magnet:?xt=urn:btih:${HEX.slice(1)}`,
    `magnet:?xt=urn:btih:${B32.slice(1)}`,
    `magnet:?xt=urn:btih:${'1'.repeat(32)}`,
    'magnet:?xt=urn:btmh:1114abcd',
    `magnet:?xt=urn:btih:%ZZ${HEX}`,
    `https://example.com/?xt=urn:btih:${HEX}`,
    `magnet:?xt=urn:btih:${HEX}&${'a'.repeat(9000)}`,
  ])('finds no torrent in %s', (href) => {
    expect(parseMagnet(href)).toBeNull()
  })

  it('keeps a broken dn from spoiling the rest', () => {
    expect(parseMagnet(`magnet:?dn=%E0%A4%A&xt=urn:btih:${HEX}`)).toEqual({ infoHash: HEX })
  })
})

describe('parseTorrentUrl', () => {
  it.each([
    [`https://itorrents.example/torrent/${HEX.toUpperCase()}.torrent`],
    [`https://idx.example/dl/${HEX}/Some.Name.torrent`],
    [`http://idx.example/get.torrent?info_hash=${HEX}`],
    [`https://idx.example/x.torrent?hash=${HEX}&key=1`],
  ])('reads the info hash named in %s', (href) => {
    expect(parseTorrentUrl(href)).toEqual({ infoHash: HEX })
  })

  it.each([
    ['https://idx.example/download/12345.torrent'],
    [`https://idx.example/${HEX}/page.html`],
    [`ftp://idx.example/${HEX}.torrent`],
    ['not a url'],
  ])('finds none in %s', (href) => {
    expect(parseTorrentUrl(href)).toBeNull()
  })
})

describe('parseTorrentHref', () => {
  it('reads magnets from the attribute and .torrent links from the resolved URL', () => {
    expect(parseTorrentHref(` magnet:?xt=urn:btih:${HEX}`, 'ignored')).toEqual({ infoHash: HEX })
    expect(parseTorrentHref(`${HEX}.torrent`, `https://idx.example/t/${HEX}.torrent`)).toEqual({
      infoHash: HEX,
    })
    expect(parseTorrentHref('/about', 'https://idx.example/about')).toBeNull()
  })
})
