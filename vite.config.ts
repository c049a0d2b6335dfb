import { defineConfig } from 'vite'
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { jsSizeBudget, KB } from './scripts/js-size-budget.js'

type Browser = 'chrome' | 'firefox'

/**
 * One manifest source, two builds. Chrome rejects nothing but warns about
 * Firefox-only keys, so they are stripped from the Chrome build; crxjs turns
 * `background.service_worker` into `background.scripts` for Firefox.
 */
function manifestFor(browser: Browser): ManifestV3Export {
  const manifest = JSON.parse(
    readFileSync(new URL('./manifest.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>
  const background = manifest.background as { service_worker: string; type: 'module' }
  const permissions = manifest.permissions as string[]
  if (browser === 'chrome') {
    delete manifest.browser_specific_settings
    // Replace mode redirects announces with session rules (docs/sites.md#replace-mode).
    if (!permissions.includes('declarativeNetRequest')) permissions.push('declarativeNetRequest')
  } else {
    // Firefox ignores service_worker and runs background.scripts as an event page.
    manifest.background = { scripts: [background.service_worker], type: background.type }
    // Replace mode rewrites announce answers with a response filter (Firefox only).
    permissions.push('webRequestBlocking', 'webRequestFilterResponse')
  }
  return manifest as unknown as ManifestV3Export
}

/** Minified JavaScript allowed per browser, in KB of 1024 bytes. */
const JS_CEILING_KB: Record<Browser, number> = { chrome: 366, firefox: 358 }

export default defineConfig(({ mode }) => {
  const browser: Browser = mode === 'firefox' ? 'firefox' : 'chrome'
  return {
    plugins: [
      crx({ manifest: manifestFor(browser), browser }),
      // The goal is 250 KB per browser; each ceiling is what is reached now
      // (docs/performance.md), so that growth fails the build.
      jsSizeBudget(browser, { goal: 250 * KB, ceiling: JS_CEILING_KB[browser] * KB }),
    ],
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    resolve: {
      // Firefox has the promise-based `browser` namespace natively, and the
      // polyfill exports it unchanged there; Chrome needs the real polyfill.
      alias:
        browser === 'firefox'
          ? [
              {
                find: /^webextension-polyfill$/,
                replacement: fileURLToPath(
                  new URL('./src/webextension-polyfill-firefox.ts', import.meta.url),
                ),
              },
              // Replace mode: response filters instead of Chrome's declarativeNetRequest rules.
              {
                find: /^\.\/replace\/platform$/,
                replacement: fileURLToPath(
                  new URL('./src/background/replace/platform.firefox.ts', import.meta.url),
                ),
              },
            ]
          : [],
    },
    build: {
      outDir: `dist/${browser}`,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      // Extension pages run in browsers that support modulepreload natively.
      modulePreload: { polyfill: false },
    },
    define: { __BROWSER__: JSON.stringify(browser) },
  }
})
