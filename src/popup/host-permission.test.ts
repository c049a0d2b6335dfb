import { describe, expect, it } from 'vitest'
import { createHostPermission, HOST_ORIGINS } from './host-permission'

describe('createHostPermission', () => {
  const calls: string[] = []
  const permissions = {
    contains: (p: { origins: string[] }) => {
      calls.push(`contains ${p.origins.join(' ')}`)
      return Promise.resolve(false)
    },
    request: (p: { origins: string[] }) => {
      calls.push(`request ${p.origins.join(' ')}`)
      return Promise.resolve(true)
    },
  }

  it('is not needed in Chrome', () => {
    expect(createHostPermission('chrome', permissions)).toBeNull()
  })

  it('checks and requests http and https hosts in Firefox', async () => {
    const hp = createHostPermission('firefox', permissions)!
    expect(await hp.check()).toBe(false)
    expect(await hp.request()).toBe(true)
    expect(calls).toEqual([
      `contains ${HOST_ORIGINS.join(' ')}`,
      `request ${HOST_ORIGINS.join(' ')}`,
    ])
  })
})
