import { describe, expect, it } from 'vitest'
import { BackgroundError, createSend } from './client'

describe('createSend', () => {
  it('sends the route and its parameters and returns the data', async () => {
    const sent: unknown[] = []
    const send = createSend((m) => {
      sent.push(m)
      return Promise.resolve({ ok: true, data: ['ws://a'] })
    })
    expect(await send('addRelay', { url: 'ws://a' })).toEqual(['ws://a'])
    expect(sent).toEqual([{ type: 'addRelay', params: { url: 'ws://a' } }])
  })

  it('throws the error of an error reply', async () => {
    const send = createSend(() => Promise.resolve({ ok: false, error: 'At most 10 relays' }))
    await expect(send('addRelay', { url: 'ws://a' })).rejects.toThrow(
      new BackgroundError('At most 10 relays'),
    )
  })

  it('throws when the background is missing or answers nonsense', async () => {
    await expect(createSend(() => Promise.resolve(undefined))('retryNow')).rejects.toThrow(
      'gave no answer',
    )
    await expect(
      createSend(() => Promise.reject(new Error('Receiving end does not exist')))('retryNow'),
    ).rejects.toThrow('not answering: Receiving end does not exist')
  })
})

describe('Send types', () => {
  it('infers parameters and results from the handler map', async () => {
    const send = createSend(() => Promise.resolve({ ok: true, data: { pendingCount: 0 } }))
    const r: { pendingCount: number } = await send('retryNow')
    expect(r.pendingCount).toBe(0)
    // @ts-expect-error addRelay needs its { url } parameter
    await send('addRelay').catch(() => undefined)
    // @ts-expect-error getState takes no parameter
    await send('getState', { x: 1 }).catch(() => undefined)
    // @ts-expect-error there is no such route
    await send('deleteEverything').catch(() => undefined)
  })
})
