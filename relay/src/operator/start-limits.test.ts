/**
 * The operator limits end to end: `npm run relay -- --config FILE --flag N`
 * starts a relay that enforces each limit at the value given and publishes
 * it in NIP-11.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { runCli } from './commands'
import type { CommandIo } from './io'

const dirs: string[] = []
const sockets: WebSocket[] = []

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-limits-'))
  dirs.push(dir)
  return dir
}

/** Runs `start` in process; resolves with its URL once it listens, and a stop function. */
async function startCli(
  argv: string[],
): Promise<{ url: string; stop: () => Promise<number>; out: () => string }> {
  let out = ''
  let stopNow: (signal: string) => void = () => undefined
  const stopped = new Promise<string>((resolve) => (stopNow = resolve))
  let done: Promise<number> = Promise.resolve(0)
  const listening = new Promise<string>((resolve, reject) => {
    const io: CommandIo = {
      out: (t) => {
        out += t
        const m = /listening on (ws:\/\/\S+)/.exec(t)
        if (m?.[1] !== undefined) resolve(m[1])
      },
      err: (t) => (out += t),
      waitForStop: () => stopped,
    }
    done = runCli(argv, io)
    done.then((code) => {
      reject(new Error(`relay exited ${code}: ${out}`))
    }, reject)
  })
  const url = await listening
  return {
    url,
    out: () => out,
    stop: () => {
      stopNow('SIGTERM')
      return done
    },
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    sockets.push(ws)
    ws.once('open', () => {
      resolve(ws)
    })
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`))
    })
    ws.once('error', reject)
  })
}

/** Sends frames and collects replies until `count` arrived (or 5 s passed). */
function exchange(ws: WebSocket, frames: string[], count: number): Promise<unknown[][]> {
  return new Promise((resolve) => {
    const got: unknown[][] = []
    const timer = setTimeout(() => {
      resolve(got)
    }, 5_000)
    ws.on('message', (data: Buffer) => {
      got.push(JSON.parse(data.toString()) as unknown[])
      if (got.length >= count) {
        clearTimeout(timer)
        resolve(got)
      }
    })
    for (const f of frames) ws.send(f)
  })
}

describe('operator limits, end to end', () => {
  it('enforces and publishes limits from the config file and the command line', async () => {
    const dir = tempDir()
    const config = join(dir, 'relay.json')
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        db: join(dir, 'relay.sqlite'),
        // The command line's 2 wins over this.
        'max-connections-per-ip': 9,
        'max-message-bytes': 2048,
        'max-subscriptions': 2,
        'api-rate-burst': 3,
        'api-rate-per-second': 1,
        'tracker-max-numwant': 20,
        'tracker-rate-burst': 2,
        // The slowest refill there is, so a loaded machine cannot refill the burst mid-test.
        'tracker-rate-per-second': 1,
      }),
    )
    const relay = await startCli([
      '--config',
      config,
      '--max-connections-per-ip',
      '2',
      '--rate-burst',
      '6',
      '--rate-per-second',
      '1',
      '--max-send-queue-bytes',
      '1048576',
    ])
    try {
      const http = relay.url.replace(/^ws/, 'http')
      const res = await fetch(http, { headers: { Accept: 'application/nostr+json' } })
      const doc = (await res.json()) as {
        limitation: Record<string, unknown>
        tseed: { limits: Record<string, unknown> }
      }
      expect(doc.limitation).toMatchObject({ max_message_length: 2048, max_subscriptions: 2 })
      expect(doc.tseed.limits).toMatchObject({
        max_connections_per_ip: 2,
        max_send_queue_bytes: 1_048_576,
        rate_limit: { burst: 6, per_second: 1 },
        api: { rate_limit: { burst: 3, per_second: 1 }, max_body_bytes: 16_384 },
        tracker: {
          max_numwant: 20,
          default_numwant: 20,
          rate_limit: { burst: 2, per_second: 1 },
        },
      })

      // Connections per address: the third is refused before the handshake.
      const a = await open(relay.url)
      const b = await open(relay.url)
      await expect(open(relay.url)).rejects.toThrow('HTTP 429')

      // Frame size: a frame over 2048 bytes is refused with a NOTICE.
      const big = `["REQ","s",{"kinds":[21000],"#i":["${'a'.repeat(2100)}"]}]`
      const [tooLarge] = await exchange(a, [big], 1)
      expect(tooLarge).toEqual([
        'NOTICE',
        expect.stringMatching(/^invalid: message too large: .*limit 2048$/),
      ])

      // Subscriptions: the third REQ on one connection is closed.
      const req = (id: string): string => JSON.stringify(['REQ', id, { kinds: [21000], limit: 0 }])
      const subs = await exchange(a, [req('s1'), req('s2'), req('s3')], 3)
      expect(subs).toContainEqual([
        'CLOSED',
        's3',
        expect.stringMatching(/^rate-limited: 2 subscriptions/),
      ])

      // Message rate: a burst of 6, then 1 per second; CLOSE has no answer unless refused.
      const closes = Array.from({ length: 10 }, () => '["CLOSE","nope"]')
      const limited = await exchange(b, closes, 4)
      expect(limited).toHaveLength(4)
      for (const m of limited) {
        expect(m).toEqual(['NOTICE', 'rate-limited: more than 1 messages per second'])
      }

      // API rate: three requests, then 429.
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${http}/api/v1/pool`)).status)
      expect(statuses).toEqual([200, 200, 200, 429])

      // Tracker rate: two requests, then the bencoded refusal (HTTP 200, as trackers answer).
      const reasons: string[] = []
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${http}/t/${'0'.repeat(32)}/announce?info_hash=x`)
        expect(r.status).toBe(200)
        reasons.push(Buffer.from(await r.arrayBuffer()).toString('latin1'))
      }
      expect(reasons[0]).not.toMatch(/too many requests/)
      expect(reasons[1]).not.toMatch(/too many requests/)
      expect(reasons[2]).toMatch(/failure reason.*too many requests from this address/)
    } finally {
      expect(await relay.stop()).toBe(0)
    }
  })

  it('lists every limit with its default in --help', async () => {
    let out = ''
    const io: CommandIo = {
      out: (t) => (out += t),
      err: (t) => (out += t),
      waitForStop: () => Promise.resolve('SIGTERM'),
    }
    expect(await runCli(['--help'], io)).toBe(0)
    for (const flag of [
      'max-connections-per-ip',
      'rate-burst',
      'max-send-queue-bytes',
      'api-rate-burst',
      'tracker-rate-burst',
      'config',
    ]) {
      expect(out).toContain(`--${flag}`)
    }
    expect(out).toMatch(
      /--max-connections-per-ip <n> +open WebSocket connections per client address, 1 to 1000000 \(default 20\)/,
    )
  })

  it('stops with a clear error for a bad config file, naming the key', async () => {
    const dir = tempDir()
    const config = join(dir, 'relay.json')
    writeFileSync(config, JSON.stringify({ 'max-subscriptions': 0 }))
    let err = ''
    const io: CommandIo = {
      out: () => undefined,
      err: (t) => (err += t),
      waitForStop: () => Promise.resolve('SIGTERM'),
    }
    expect(await runCli(['--config', config], io)).toBe(2)
    expect(err).toMatch(/relay\.json: key "max-subscriptions": must be an integer from 1 to 100000/)
    err = ''
    expect(await runCli(['--config', join(dir, 'missing.json')], io)).toBe(1)
    expect(err).toMatch(/cannot read .*missing\.json/)
  })
})
