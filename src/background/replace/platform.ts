/**
 * Chrome's replace mode: `declarativeNetRequest` session rules. The Firefox
 * build swaps this module for `platform.firefox.ts` (vite.config.ts).
 */
import { createDnrReplacer, type DnrLike } from './dnr-rules'
import type { PlatformDeps, ReplacePlatform } from './platform-types'

export function createReplacePlatform(deps: PlatformDeps): ReplacePlatform {
  const dnr = (globalThis as unknown as { chrome: { declarativeNetRequest: DnrLike } }).chrome
    .declarativeNetRequest
  return createDnrReplacer({ ...deps, dnr })
}
