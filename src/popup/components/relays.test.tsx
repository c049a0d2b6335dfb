import { describe, expect, it } from 'vitest'
import type { RelayView } from '../../background/messages'
import { byTestId, expand, findAll, one, text } from '../testing/vnode'
import { flush, submit } from '../testing/form-events'
import { RelaysSection } from './relays'

describe('RelaysSection', () => {
  const relays: RelayView[] = [
    { url: 'ws://127.0.0.1:7447', state: 'error', error: 'connection failed', kind: 'unknown' },
    { url: 'wss://r.example', state: 'connected', kind: 'tseed', name: 'Example seeding relay' },
    { url: 'wss://plain.example', state: 'connected', kind: 'plain', name: 'Chat relay' },
    { url: 'wss://play.example', state: 'connecting', kind: 'tseed', testMode: true },
  ]

  it('lists each relay with its live state and a remove button', () => {
    const removed: string[] = []
    const tree = expand(
      <RelaysSection
        relays={relays}
        onAdd={() => Promise.resolve(true)}
        onRemove={(u) => removed.push(u)}
      />,
    )
    const rows = byTestId(tree, 'relay-row')
    expect(rows.map((r) => r.props['data-url'])).toEqual(relays.map((r) => r.url))
    expect(rows.map((r) => text(one([r], 'relay-state')))).toEqual([
      'error: connection failed',
      'connected',
      'connected',
      'connecting',
    ])
    expect(rows.map((r) => text(one([r], 'relay-kind')))).toEqual([
      'Not known yet whether it is a TSEED relay',
      'TSEED relay',
      'Plain relay: announces are published but nobody pays or charges for them',
      'TSEED relay · TEST MODE: play money',
    ])
    expect(rows.map((r) => r.props['data-kind'])).toEqual(['unknown', 'tseed', 'plain', 'tseed'])
    expect(text(rows.slice(1, 2))).toContain('Example seeding relay')
    expect(text(rows.slice(2, 3))).toContain('Chat relay')
    ;(one(rows.slice(1, 2), 'remove-relay').props.onClick as () => void)()
    expect(removed).toEqual(['wss://r.example'])
  })

  it('adds the typed relay through the form', async () => {
    const added: string[] = []
    const tree = expand(
      <RelaysSection
        relays={[]}
        onAdd={(u) => {
          added.push(u)
          return Promise.resolve(true)
        }}
        onRemove={() => undefined}
      />,
    )
    expect(text(tree)).toContain('No relay')
    expect(one(tree, 'add-relay').props.type).toBe('submit')
    const s = submit(
      findAll(tree, (e) => e.type === 'form')[0]?.props.onSubmit,
      'ws://127.0.0.1:9000',
    )
    await flush()
    expect(added).toEqual(['ws://127.0.0.1:9000'])
    expect(s.input.value).toBe('')
    expect(one(tree, 'relay-input').props.name).toBe('url')
  })
})
