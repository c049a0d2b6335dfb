/** Kind numbers used by TSEED. Named so that no magic number appears elsewhere. */
export const TORRENT_ANNOUNCE = 21000
/** NIP-35: a torrent's title, info hash and files. */
export const TORRENT_METADATA = 2003
export const CLIENT_AUTH = 22242
export const NWC_INFO = 13194
export const NWC_REQUEST = 23194
export const NWC_RESPONSE = 23195
export const NOSTR_CONNECT = 24133
export const HTTP_AUTH = 27235
