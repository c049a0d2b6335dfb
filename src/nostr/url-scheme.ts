export const HTTP_SCHEMES: readonly string[] = ['http:', 'https:']
export const WS_SCHEMES: readonly string[] = ['ws:', 'wss:']

/**
 * `text` as a URL when it parses and its scheme is one of `schemes`; else
 * undefined, for callers to turn into their own refusal.
 *
 * @example parseUrlWithScheme('https://t.example/announce', HTTP_SCHEMES)?.host // 't.example'
 */
export function parseUrlWithScheme(text: string, schemes: readonly string[]): URL | undefined {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return undefined
  }
  return schemes.includes(u.protocol) ? u : undefined
}
