import { describe, expect, it } from 'vitest'
import { expand, one, text } from '../testing/vnode'
import { ActivitySection, ErrorBanner, HostPermissionNotice, Welcome } from './notices'

describe('notices', () => {
  it('shows an error only when there is one', () => {
    expect(expand(<ErrorBanner message={null} />)).toEqual([])
    expect(text(one(expand(<ErrorBanner message="Not a URL: x" />), 'error'))).toBe('Not a URL: x')
  })

  it('asks for the host permission with a button', () => {
    let asked = 0
    ;(
      one(expand(<HostPermissionNotice onGrant={() => asked++} />), 'grant-host-permission').props
        .onClick as () => void
    )()
    expect(asked).toBe(1)
  })

  it('explains what is published and recommends a dedicated key', () => {
    const t = text(expand(<Welcome />))
    expect(t).toContain('this key is in this swarm')
    expect(t).toContain('dedicated seeding key')
    expect(t).toContain('never contains the tracker URL')
  })

  it('lists ignored announces by host and reason', () => {
    const tree = expand(
      <ActivitySection
        entries={[
          {
            at: 0,
            kind: 'ignored',
            host: 't.example',
            reason: 'info_hash must be 20 bytes, got 3',
          },
        ]}
        now={2_000}
      />,
    )
    expect(text(one(tree, 'activity-entry'))).toBe(
      't.example: info_hash must be 20 bytes, got 3 · 2 s ago',
    )
    expect(expand(<ActivitySection entries={[]} now={0} />)).toEqual([])
  })

  it('names replace-mode errors in the heading when there are some', () => {
    const entry = { at: 0, host: 't.example', reason: 'replace mode: TSEED relay: down' }
    const plain = expand(<ActivitySection entries={[{ ...entry, kind: 'ignored' }]} now={0} />)
    expect(text(one(plain, 'activity-entry'))).toContain('t.example')
    const tree = expand(<ActivitySection entries={[{ ...entry, kind: 'replace' }]} now={0} />)
    expect(JSON.stringify(tree)).toContain('Ignored announces and replace-mode errors')
    expect(JSON.stringify(plain)).not.toContain('replace-mode errors')
  })
})
