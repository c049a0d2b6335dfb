import { describe, expect, it } from 'vitest'
import { rejectionOf } from '../../../tests/support/rejection'
import { createMemoryStorageArea } from '../storage-item'
import { createSlippageSetting } from './slippage-setting'
import { WalletError } from './wallet-error'

describe('the slippage setting', () => {
  it('is 1% until the user picks another, and is kept as whole basis points', async () => {
    const area = createMemoryStorageArea()
    const setting = createSlippageSetting(area)
    expect(await setting.get()).toBe(100n)
    expect(await setting.setPercent('0.1')).toBe(10n)
    expect(await setting.get()).toBe(10n)
    expect(area.dump()).toEqual({ slippageBps: 10 })
    expect(await setting.setPercent('5')).toBe(500n)
    expect(await createSlippageSetting(area).get()).toBe(500n)
  })

  it('refuses a bound outside 0.1%–5% in plain words and keeps the one before', async () => {
    const area = createMemoryStorageArea()
    const setting = createSlippageSetting(area)
    await setting.setPercent('2')
    for (const bad of ['0.09', '5.01', 'lots', '']) {
      const err = await rejectionOf(setting.setPercent(bad), WalletError)
      expect(err.code).toBe('bad_input')
    }
    expect(await setting.get()).toBe(200n)
  })

  it('reads anything stored that is not an allowed whole number as the default', async () => {
    for (const stored of [9, 501, 1.5, '100', -100, null, 2 ** 60]) {
      const area = createMemoryStorageArea()
      await area.set({ slippageBps: stored })
      expect(await createSlippageSetting(area).get()).toBe(100n)
    }
  })
})
