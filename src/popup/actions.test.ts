import { describe, expect, it } from 'vitest'
import { createActions } from './actions'
import { createSend } from './client'

function setup(reply: (m: { type: string; params?: unknown }) => unknown) {
  const errors: (string | null)[] = []
  let refreshes = 0
  const sent: unknown[] = []
  const exported: { nsec: string; ncryptsec: string }[] = []
  const actions = createActions(
    createSend((m) => {
      sent.push(m)
      return Promise.resolve(reply(m as { type: string }))
    }),
    {
      setError: (e) => errors.push(e),
      refresh: () => {
        refreshes++
        return Promise.resolve()
      },
      showExported: (k) => exported.push(k),
    },
  )
  return { actions, errors, sent, exported, refreshes: () => refreshes }
}

describe('createActions', () => {
  it('clears the error and refreshes after a success', async () => {
    const s = setup(() => ({ ok: true, data: [] }))
    expect(await s.actions.addRelay('ws://a')).toBe(true)
    expect(s.sent).toEqual([{ type: 'addRelay', params: { url: 'ws://a' } }])
    expect(s.errors).toEqual([null])
    expect(s.refreshes()).toBe(1)
  })

  it('shows the background error and reports failure', async () => {
    const s = setup(() => ({
      ok: false,
      error: 'A secret key is 64 hex characters or starts with nsec1',
    }))
    expect(await s.actions.importKey('nope', 'password1', 'password1')).toBe(false)
    expect(s.errors).toEqual(['A secret key is 64 hex characters or starts with nsec1'])
    expect(s.refreshes()).toBe(0)
  })

  it('maps every action to its route', async () => {
    const s = setup(() => ({ ok: true, data: null }))
    await s.actions.generateKey('password1', 'password1')
    await s.actions.removeRelay('ws://a')
    await s.actions.retryNow()
    expect(s.sent.map((m) => (m as { type: string }).type)).toEqual([
      'generateKey',
      'removeRelay',
      'retryNow',
    ])
  })

  it('checks that a new password was typed twice alike, before asking the background', async () => {
    const s = setup(() => ({ ok: true, data: { pubkey: 'p', npub: 'n' } }))
    expect(await s.actions.generateKey('password1', 'password2')).toBe(false)
    expect(await s.actions.importKey('nsec1x', 'password1', 'passwordX')).toBe(false)
    expect(await s.actions.protectKey('password1', '')).toBe(false)
    expect(s.sent).toEqual([])
    expect(s.errors.at(-1)).toBe('The two passwords differ; type the same password twice')
    // An ncryptsec comes with its own password, typed once.
    expect(await s.actions.importKey(' ncryptsec1abc', 'its password', '')).toBe(true)
    expect(s.sent).toEqual([
      { type: 'importKey', params: { key: ' ncryptsec1abc', password: 'its password' } },
    ])
  })

  it('hands an exported key to the screen', async () => {
    const s = setup(() => ({ ok: true, data: { nsec: 'nsec1x', ncryptsec: 'ncryptsec1y' } }))
    expect(await s.actions.exportKey('password1')).toBe(true)
    expect(s.exported).toEqual([{ nsec: 'nsec1x', ncryptsec: 'ncryptsec1y' }])
  })
})
