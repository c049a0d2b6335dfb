import { describe, expect, it } from 'vitest'
import { createActions } from './actions'
import { createSend } from './client'

function setup() {
  const errors: (string | null)[] = []
  const sent: unknown[] = []
  const actions = createActions(
    createSend((m) => {
      sent.push(m)
      return Promise.resolve({ ok: true, data: null })
    }),
    {
      setError: (e) => errors.push(e),
      refresh: () => Promise.resolve(),
      showExported: () => undefined,
    },
  )
  return { actions, errors, sent }
}

describe('wallet actions', () => {
  it('connects with the key’s password as typed once', async () => {
    const s = setup()
    expect(await s.actions.connectNwc('nostr+walletconnect://x', 'key password')).toBe(true)
    expect(s.sent).toEqual([
      { type: 'connectNwc', params: { uri: 'nostr+walletconnect://x', password: 'key password' } },
    ])
  })

  it('checks a new wallet password was typed twice alike before the background sees it', async () => {
    const s = setup()
    expect(await s.actions.connectNwc('nostr+walletconnect://x', 'wallet pass', 'wallet pas')).toBe(
      false,
    )
    expect(s.sent).toEqual([])
    expect(s.errors).toEqual(['The two passwords differ; type the same password twice'])
    expect(
      await s.actions.connectNwc('nostr+walletconnect://x', 'wallet pass', 'wallet pass'),
    ).toBe(true)
    expect(s.sent).toEqual([
      { type: 'connectNwc', params: { uri: 'nostr+walletconnect://x', password: 'wallet pass' } },
    ])
  })

  it('unlocks the wallet and sets the slippage bound as typed', async () => {
    const s = setup()
    await s.actions.unlockNwc('wallet pass')
    await s.actions.setSlippage('0.5')
    expect(s.sent).toEqual([
      { type: 'unlockNwc', params: { password: 'wallet pass' } },
      { type: 'setSlippage', params: { percent: '0.5' } },
    ])
  })
})
