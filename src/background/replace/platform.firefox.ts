/**
 * Firefox's replace mode: a blocking webRequest listener with a response
 * filter (Firefox rejects `data:` redirects in declarativeNetRequest). The
 * Chrome build uses `platform.ts` instead (vite.config.ts).
 */
import browser from 'webextension-polyfill'
import { createBlockingFilterReplacer, type BlockingWebRequestLike } from './blocking-filter'
import type { PlatformDeps, ReplacePlatform } from './platform-types'

export function createReplacePlatform(deps: PlatformDeps): ReplacePlatform {
  return createBlockingFilterReplacer({
    ...deps,
    webRequest: browser.webRequest as unknown as BlockingWebRequestLike,
  })
}
