import { describe, expect, it } from 'vitest'
import { flush, submitMany } from '../testing/form-events'
import { byTestId, expand, findAll, one, text } from '../testing/vnode'
import { NostrConnectSection, type NostrConnectProps } from './nostr-connect'

const URI = 'nostrconnect://' + 'ab'.repeat(32) + '?relay=wss%3A%2F%2Fr.example&secret=s&perms=x'

function props(calls: unknown[][], flow: NostrConnectProps['flow']): NostrConnectProps {
  return {
    flow,
    defaultRelay: 'wss://r.example',
    onStart: (relay) => (calls.push(['start', relay]), Promise.resolve(true)),
    onCancel: () => calls.push(['cancel']),
    onCopy: (t) => calls.push(['copy', t]),
  }
}

describe('NostrConnectSection', () => {
  it('offers the first relay and starts the flow with the one typed', async () => {
    const calls: unknown[][] = []
    const tree = expand(<NostrConnectSection {...props(calls, null)} />)
    expect(one(tree, 'nostrconnect-relay').props.defaultValue).toBe('wss://r.example')
    const form = findAll(tree, (e) => e.type === 'form')[0]
    submitMany(form?.props.onSubmit, { relay: 'wss://other.example' })
    await flush()
    expect(calls).toEqual([['start', 'wss://other.example']])
  })

  it('while waiting: the address as QR and text, kept as typed, with copy and cancel', () => {
    const calls: unknown[][] = []
    const tree = expand(
      <NostrConnectSection
        {...props(calls, { state: 'waiting', uri: URI, relays: ['wss://r.example'] })}
      />,
    )
    expect(one(tree, 'nostrconnect-uri').props.value).toBe(URI)
    expect(byTestId(tree, 'nostrconnect-qr')).toHaveLength(1)
    expect(text(tree)).toContain('Waiting for your signer app, through wss://r.example')
    ;(one(tree, 'copy-nostrconnect').props.onClick as () => void)()
    ;(one(tree, 'cancel-nostrconnect').props.onClick as () => void)()
    expect(calls).toEqual([['copy', URI], ['cancel']])
    expect(byTestId(tree, 'start-nostrconnect')).toHaveLength(0)
  })

  it('after a failure: says why and offers to start again', () => {
    const tree = expand(
      <NostrConnectSection
        {...props([], { state: 'failed', error: 'No signer app connected within 5 min' })}
      />,
    )
    expect(text(one(tree, 'nostrconnect-failed'))).toBe('No signer app connected within 5 min')
    expect(byTestId(tree, 'start-nostrconnect')).toHaveLength(1)
  })
})
