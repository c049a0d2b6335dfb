import { describe, expect, it } from 'vitest'
import { flush, submit } from '../testing/form-events'
import { submitField } from './form'

describe('submitField', () => {
  it('passes the field value on, stops the page submit, and clears the field on success', async () => {
    const seen: string[] = []
    const s = submit(
      submitField('url', (v) => {
        seen.push(v)
        return Promise.resolve(true)
      }),
      'ws://a',
    )
    await flush()
    expect(seen).toEqual(['ws://a'])
    expect(s.prevented()).toBe(true)
    expect(s.input.value).toBe('')
  })

  it('keeps the typed value when the action failed, so it can be corrected', async () => {
    const s = submit(
      submitField('url', () => Promise.resolve(false)),
      'ws:/typo',
    )
    await flush()
    expect(s.input.value).toBe('ws:/typo')
  })
})
