import { describe, expect, it } from 'vitest'
import { TORRENT_METADATA } from './kinds'
import { MAX_TITLE_CHARS, parseTorrentEvent, TorrentEventError } from './nip35'
import { MAX_COUNTER } from './tracker-announce'

const IH = '0123456789abcdef0123456789abcdef01234567'

const ev = (tags: unknown) => ({ kind: TORRENT_METADATA, tags })

describe('parseTorrentEvent', () => {
  it('reads the title, the info hash and the summed file sizes', () => {
    expect(
      parseTorrentEvent(
        ev([
          ['title', 'Ubuntu 24.04 desktop'],
          ['x', IH],
          ['file', 'ubuntu/a.iso', '4000000000'],
          ['file', 'ubuntu/SHA256SUMS', '120'],
          ['tracker', 'udp://tracker.example:1337'],
          ['i', 'tcat:software'],
          ['t', 'linux'],
        ]),
      ),
    ).toEqual({ infoHash: IH, title: 'Ubuntu 24.04 desktop', size: 4000000120n, files: 2 })
  })

  it('prefers a size tag over the files and leaves the size out when a file has none', () => {
    expect(
      parseTorrentEvent(
        ev([
          ['x', IH],
          ['size', '77'],
          ['file', 'a', '5'],
        ]),
      ).size,
    ).toBe(77n)
    const partial = parseTorrentEvent(
      ev([
        ['x', IH],
        ['file', 'a', '5'],
        ['file', 'b'],
      ]),
    )
    expect(partial).toEqual({ infoHash: IH, files: 2 })
    expect(parseTorrentEvent(ev([['x', IH]]))).toEqual({ infoHash: IH, files: 0 })
  })

  it('drops control and direction-override characters from the title', () => {
    const t = parseTorrentEvent(
      ev([
        ['x', IH],
        ['title', '\u202eevil\u0007 name '],
      ]),
    )
    expect(t.title).toBe('evil name')
    expect(
      parseTorrentEvent(
        ev([
          ['x', IH],
          ['title', '\u200b'],
        ]),
      ).title,
    ).toBeUndefined()
  })

  it('leaves out a file total above 2^64-1 instead of showing a wrapped number', () => {
    const max = MAX_COUNTER.toString()
    const t = parseTorrentEvent(
      ev([
        ['x', IH],
        ['file', 'a', max],
        ['file', 'b', '1'],
      ]),
    )
    expect(t.size).toBeUndefined()
  })

  it.each([
    [{ kind: 1, tags: [['x', IH]] }, /kind is not 2003/],
    [ev('nope'), /tags must be an array/],
    [
      ev([
        ['x', IH],
        ['title', 5],
      ]),
      /arrays of strings/,
    ],
    [ev([[]]), /arrays of strings/],
    [ev([['title', 'a']]), /missing x tag/],
    [ev([['x', IH.toUpperCase()]]), /lowercase hex/],
    [ev([['x', IH.slice(1)]]), /lowercase hex/],
    [
      ev([
        ['x', IH],
        ['x', IH],
      ]),
      /more than one x/,
    ],
    [
      ev([
        ['x', IH],
        ['title', 'a'],
        ['title', 'b'],
      ]),
      /more than one title/,
    ],
    [
      ev([
        ['x', IH],
        ['title', 'a'.repeat(MAX_TITLE_CHARS + 1)],
      ]),
      /longer than 512/,
    ],
    [
      ev([
        ['x', IH],
        ['size', '-1'],
      ]),
      /size must be a decimal/,
    ],
    [
      ev([
        ['x', IH],
        ['size', '01'],
      ]),
      /size must be a decimal/,
    ],
    [
      ev([
        ['x', IH],
        ['size', (MAX_COUNTER + 1n).toString()],
      ]),
      /exceeds/,
    ],
    [
      ev([
        ['x', IH],
        ['file', 'a', '1.5'],
      ]),
      /file size must be/,
    ],
    [ev([['x', IH], ['file']]), /file needs a path/],
    [ev(Array.from({ length: 1001 }, () => ['t', 'x'])), /more than 1000 tags/],
  ])('refuses %j', (input, message) => {
    expect(() => parseTorrentEvent(input)).toThrow(TorrentEventError)
    expect(() => parseTorrentEvent(input)).toThrow(message)
  })
})
