/**
 * `npm run relay -- make-torrent <file> --credential <credential or URL>`:
 * writes a BEP 27 private .torrent whose only tracker is the user's personal
 * tracker URL. Private, because a client may then find peers only through
 * that tracker: no DHT, no PEX, no local discovery, so every transfer is
 * announced under a credential and accounted (docs/tracker.md).
 */
import { createHash } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import createTorrent from 'create-torrent'
import { CliUsageError, parseCliWithArgs, usage, type CliFlag } from '../cli-options'
import { decode, encodeDict, type BValue } from '../tracker/bencode'
import { CREDENTIAL_PATTERN } from '../tracker/credentials'
import { COMMAND, OperatorError, type Command } from './io'

interface MakeTorrentOptions {
  credential?: string
  url: string
  out?: string
  name?: string
  comment?: string
  force: boolean
}

const DEFAULTS: Readonly<MakeTorrentOptions> = Object.freeze({
  url: 'http://127.0.0.1:7447',
  force: false,
})

const FLAGS: readonly CliFlag<MakeTorrentOptions>[] = [
  {
    name: 'credential',
    valueName: '<credential|url>',
    description:
      'your tracker credential, or the whole tracker URL the extension gave you (required)',
    apply: (o, v) => {
      o.credential = v
    },
  },
  {
    name: 'url',
    valueName: '<relay url>',
    description: `the relay's HTTP address, used with a bare credential (default ${DEFAULTS.url})`,
    apply: (o, v) => {
      o.url = v
    },
  },
  {
    name: 'out',
    valueName: '<file>',
    description: 'where to write the .torrent (default: the name with .torrent, here)',
    apply: (o, v) => {
      o.out = v
    },
  },
  {
    name: 'name',
    valueName: '<name>',
    description: 'the torrent name clients show (default: the file or folder name)',
    apply: (o, v) => {
      o.name = v
    },
  },
  {
    name: 'comment',
    valueName: '<text>',
    description: 'a comment stored in the .torrent',
    apply: (o, v) => {
      o.comment = v
    },
  },
  {
    name: 'force',
    valueName: '',
    boolean: true,
    description: 'overwrite an existing .torrent',
    apply: (o) => {
      o.force = true
    },
  },
]

const DESCRIPTION =
  'Writes a private .torrent (BEP 27) for a file or folder, whose only tracker is your personal\n' +
  'TSEED tracker URL. Clients then find peers through it alone (no DHT, PEX or local discovery),\n' +
  'so every byte is announced and accounted. The .torrent holds your credential: share the\n' +
  'torrent with others only after they put their own URL in it, or give them a magnet link.'

export interface MadeTorrent {
  file: string
  infoHash: string
  announce: string
  bytes: number
}

export const makeTorrentCommand: Command = {
  name: 'make-torrent',
  summary: 'write a private .torrent announcing to your tracker URL',
  help: () => `${DESCRIPTION}\n\n${usage(`${COMMAND} make-torrent`, FLAGS, 'FILE [options]')}`,
  async run(argv, io) {
    const r = parseCliWithArgs(argv, FLAGS, DEFAULTS, 1)
    if (r.help) {
      io.out(this.help())
      return 0
    }
    const input = r.args[0]
    if (input === undefined) throw new CliUsageError('give the file or folder to make a torrent of')
    const made = await makeTorrent(input, r.options)
    io.out(
      `wrote ${made.file}: private torrent ${made.infoHash}, ${made.bytes} bytes, ` +
        `tracker ${maskCredential(made.announce)}\n` +
        'It contains your tracker credential: keep it to yourself.\n',
    )
    return 0
  },
}

/** Builds the torrent and writes it (mode 600: it holds a credential). */
export async function makeTorrent(input: string, o: MakeTorrentOptions): Promise<MadeTorrent> {
  if (o.credential === undefined) throw new CliUsageError('--credential is required')
  if (!existsSync(input)) throw new OperatorError(`no file or folder at ${input}`)
  const announce = announceUrl(o.credential, o.url)
  const name = o.name ?? basename(input)
  const torrent = await new Promise<Uint8Array>((done, fail) => {
    createTorrent(
      input,
      {
        name,
        private: true,
        // Exactly one tracker: without an explicit list the library adds public ones.
        announceList: [[announce]],
        urlList: [],
        createdBy: 'TSEED make-torrent',
        ...(o.comment !== undefined ? { comment: o.comment } : {}),
      },
      (err, t) => {
        if (err !== null) fail(err)
        else done(t)
      },
    )
  })
  const out = o.out ?? `${name}.torrent`
  if (existsSync(out) && !o.force) {
    throw new OperatorError(`${out} exists; give --out or --force`)
  }
  writeFileSync(out, torrent, { mode: 0o600 })
  const meta = decode(torrent) as { info?: Record<string, BValue> & { length?: number } }
  if (meta.info === undefined) throw new Error('create-torrent wrote no info dictionary')
  return {
    file: out,
    infoHash: infoHash(meta.info),
    announce,
    bytes: totalLength(meta.info),
  }
}

/** The v1 info hash: SHA-1 of the bencoded `info` dictionary. */
export function infoHash(info: Readonly<Record<string, BValue>>): string {
  return createHash('sha1').update(encodeDict(info)).digest('hex')
}

/**
 * The announce URL from `--credential`: a whole tracker URL is taken as
 * given (checked to be http(s) and to end in /announce); a bare credential is
 * put in the relay's `/t/<credential>/announce`.
 */
export function announceUrl(credential: string, relayUrl: string): string {
  if (/^https?:\/\//i.test(credential)) {
    let u: URL
    try {
      u = new URL(credential)
    } catch {
      throw new CliUsageError(`--credential is not a valid URL: ${credential}`)
    }
    if (!u.pathname.endsWith('/announce')) {
      throw new CliUsageError('a tracker URL given to --credential must end in /announce')
    }
    return u.href
  }
  if (!CREDENTIAL_PATTERN.test(credential)) {
    throw new CliUsageError(
      '--credential must be a tracker credential (24 characters of A-Z a-z 0-9 - _) or a tracker URL',
    )
  }
  let base: URL
  try {
    base = new URL(relayUrl)
  } catch {
    throw new CliUsageError(`--url is not a valid URL: ${relayUrl}`)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new CliUsageError('--url must be the relay’s http(s) address')
  }
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}/t/${credential}/announce`
}

/** The URL with its credential cut to 4 characters, for output people may paste around. */
export function maskCredential(url: string): string {
  return url.replace(/\/t\/([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+\//, '/t/$1…/')
}

function totalLength(info: { length?: number; files?: BValue }): number {
  if (typeof info.length === 'number') return info.length
  const files = Array.isArray(info.files) ? (info.files as { length?: number }[]) : []
  return files.reduce((sum, f) => sum + (typeof f.length === 'number' ? f.length : 0), 0)
}
