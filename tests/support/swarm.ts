import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/pure'

/** The stored swarm of an info hash: every announce `REQ {"#i": [infoHash]}` returns before EOSE. */
export function swarm(relay: AbstractRelay, infoHash: string): Promise<NostrEvent[]> {
  return new Promise((resolve) => {
    const events: NostrEvent[] = []
    const sub = relay.subscribe([{ kinds: [21000], '#i': [infoHash] }], {
      onevent: (ev) => events.push(ev),
      oneose: () => {
        sub.close()
        resolve(events)
      },
    })
  })
}
