import type Browser from 'webextension-polyfill'

/**
 * What `webextension-polyfill` resolves to in the Firefox build (see
 * vite.config.ts). Firefox has the promise-based `browser` namespace itself,
 * and on Firefox the polyfill exports exactly that object, so its wrappers
 * for Chrome's callback APIs (about 10 KB minified) need not ship there.
 */
export default (globalThis as unknown as { browser: Browser.Browser }).browser
