/** The parts of `create-torrent` 6 the relay uses; the package ships no types. */
declare module 'create-torrent' {
  interface CreateTorrentOptions {
    name?: string
    comment?: string
    createdBy?: string
    creationDate?: Date
    /** BEP 27: written as `private: 1` inside `info`, so it changes the info hash. */
    private?: boolean
    pieceLength?: number
    maxPieceLength?: number
    /** Tiers of tracker URLs; when absent the library adds public trackers. */
    announceList?: string[][]
    /** BEP 19 web seeds; an empty list writes none. */
    urlList?: string[]
  }
  function createTorrent(
    input: string | string[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent: Uint8Array) => void,
  ): void
  export default createTorrent
}
