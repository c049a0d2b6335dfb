import { describe, expect, it } from 'vitest'
import { createActions } from './actions'
import { createSend } from './client'

function setup(reply: (m: { type: string; params?: unknown }) => unknown) {
  const errors: (string | null)[] = []
  let refreshes = 0
  const sent: unknown[] = []
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
    },
  )
  return { actions, errors, sent, refreshes: () => refreshes }
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
    expect(await s.actions.importKey('nope')).toBe(false)
    expect(s.errors).toEqual(['A secret key is 64 hex characters or starts with nsec1'])
    expect(s.refreshes()).toBe(0)
  })

  it('maps every action to its route', async () => {
    const s = setup(() => ({ ok: true, data: null }))
    await s.actions.generateKey()
    await s.actions.removeRelay('ws://a')
    await s.actions.retryNow()
    expect(s.sent.map((m) => (m as { type: string }).type)).toEqual([
      'generateKey',
      'removeRelay',
      'retryNow',
    ])
  })
})
