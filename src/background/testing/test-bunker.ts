import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { decrypt, encrypt, getConversationKey } from 'nostr-tools/nip44'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { connectNostr } from '../../../tests/support/tseed-relay'
import { NOSTR_CONNECT } from '../../nostr/kinds'

export interface BunkerOptions {
  /** The user's key, reported by get_public_key. */
  userSk: Uint8Array
  /** The key sign_event uses; the user's unless a test wants a misbehaving bunker. */
  signSk?: Uint8Array
  secret?: string
  /** Reads requests and never answers. */
  silent?: boolean
}

/**
 * A NIP-46 remote signer built from nostr-tools primitives, talking through
 * the real relay: requests are kind 24133 events p-tagged to it, NIP-44
 * encrypted. A client key is authorized by `connect` with the right secret,
 * or by the nostrconnect:// flow.
 */
export class TestBunker {
  readonly sk = generateSecretKey()
  readonly pubkey = getPublicKey(this.sk)
  /** Methods received, in order. */
  readonly methods: string[] = []
  private readonly authorized = new Set<string>()
  private readonly inFlight = new Set<Promise<void>>()

  private constructor(
    private readonly relay: AbstractRelay,
    private readonly opts: BunkerOptions,
  ) {}

  static async start(url: string, opts: BunkerOptions): Promise<TestBunker> {
    const bunker = new TestBunker(await connectNostr(url), opts)
    await new Promise<void>((resolve) => {
      bunker.relay.subscribe([{ kinds: [NOSTR_CONNECT], '#p': [bunker.pubkey] }], {
        onevent: (ev) => {
          const handling = bunker.handle(ev).finally(() => bunker.inFlight.delete(handling))
          bunker.inFlight.add(handling)
        },
        oneose: resolve,
      })
    })
    return bunker
  }

  uri(relayUrl: string): string {
    const secret = this.opts.secret !== undefined ? `&secret=${this.opts.secret}` : ''
    return `bunker://${this.pubkey}?relay=${encodeURIComponent(relayUrl)}${secret}`
  }

  /** What a signer app does with a scanned nostrconnect:// URI. */
  async acceptNostrConnect(uri: string): Promise<void> {
    const url = new URL(uri)
    const client = url.host
    this.authorized.add(client)
    await this.reply(client, { id: 'nc', result: url.searchParams.get('secret') ?? '' })
  }

  /** After the replies in flight have been accepted by the relay. */
  async close(): Promise<void> {
    await Promise.all(this.inFlight)
    this.relay.close()
  }

  private async handle(ev: NostrEvent): Promise<void> {
    const req = JSON.parse(decrypt(ev.content, getConversationKey(this.sk, ev.pubkey))) as {
      id: string
      method: string
      params: string[]
    }
    this.methods.push(req.method)
    if (this.opts.silent === true) return
    const answer = this.answer(ev.pubkey, req.method, req.params)
    await this.reply(ev.pubkey, { id: req.id, ...answer })
  }

  private answer(
    client: string,
    method: string,
    params: string[],
  ): { result: string; error?: string } {
    if (method === 'connect') {
      if (params[1] !== this.opts.secret) return { result: '', error: 'invalid secret' }
      this.authorized.add(client)
      return { result: 'ack' }
    }
    if (!this.authorized.has(client)) return { result: '', error: 'unauthorized client' }
    if (method === 'get_public_key') return { result: getPublicKey(this.opts.userSk) }
    if (method === 'sign_event') {
      const template = JSON.parse(params[0] ?? '') as EventTemplate
      return {
        result: JSON.stringify(finalizeEvent(template, this.opts.signSk ?? this.opts.userSk)),
      }
    }
    return { result: '', error: `unsupported method ${method}` }
  }

  private async reply(client: string, body: object): Promise<void> {
    const ev = finalizeEvent(
      {
        kind: NOSTR_CONNECT,
        created_at: Math.floor(Date.now() / 1000),
        tags: [['p', client]],
        content: encrypt(JSON.stringify(body), getConversationKey(this.sk, client)),
      },
      this.sk,
    )
    await this.relay.publish(ev)
  }
}
