/** The part of `parse-torrent` 11 the tests use; it ships no types. */
declare module 'parse-torrent' {
  interface ParsedTorrent {
    infoHash: string
    name: string
    private: boolean
    announce: string[]
    urlList: string[]
    length: number
    pieceLength: number
  }
  function parseTorrent(torrent: Uint8Array): Promise<ParsedTorrent>
  export default parseTorrent
}
