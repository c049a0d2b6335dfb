import { describe, expect, it } from 'vitest'
import { expand, one, text } from '../testing/vnode'
import { ViewTabs, type View } from './view-tabs'

describe('ViewTabs', () => {
  it('marks the current view and switches on click', () => {
    const chosen: View[] = []
    const tree = expand(<ViewTabs view="wallet" onView={(v) => chosen.push(v)} waiting={0} />)
    expect(one(tree, 'view-wallet').props['aria-current']).toBe('page')
    expect(one(tree, 'view-settings').props['aria-current']).toBeUndefined()
    expect(text(tree)).toBe('WalletActivitySettings')
    ;(one(tree, 'view-activity').props.onClick as () => void)()
    ;(one(tree, 'view-settings').props.onClick as () => void)()
    expect(chosen).toEqual(['activity', 'settings'])
  })

  it('counts waiting announces on Activity, in words for screen readers', () => {
    const tree = expand(<ViewTabs view="activity" onView={() => undefined} waiting={3} />)
    expect(text(one(tree, 'view-activity'))).toBe('Activity3 waiting')
    expect(one(tree, 'view-activity').props['aria-current']).toBe('page')
  })
})
