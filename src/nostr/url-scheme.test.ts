import { describe, expect, it } from 'vitest'
import { HTTP_SCHEMES, parseUrlWithScheme, WS_SCHEMES } from './url-scheme'

describe('parseUrlWithScheme', () => {
  it('returns the URL only for a listed scheme', () => {
    expect(parseUrlWithScheme('https://t.example/a?x=1', HTTP_SCHEMES)?.host).toBe('t.example')
    expect(parseUrlWithScheme('wss://r.example', WS_SCHEMES)?.protocol).toBe('wss:')
    expect(parseUrlWithScheme('wss://r.example', HTTP_SCHEMES)).toBeUndefined()
    expect(parseUrlWithScheme('javascript:alert(1)', HTTP_SCHEMES)).toBeUndefined()
  })

  it('returns undefined for text that is no URL', () => {
    expect(parseUrlWithScheme('not a url', HTTP_SCHEMES)).toBeUndefined()
    expect(parseUrlWithScheme('', WS_SCHEMES)).toBeUndefined()
  })
})
