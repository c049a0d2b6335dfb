/**
 * Torrent-site badges (docs/sites.md): the isolated-world content script,
 * run at `document_idle` in the top frame of http(s) pages. It imports only
 * small modules of its own, never preact or nostr-tools: every page pays
 * for its size.
 */
import { startPageBadges } from './page-badges'
import { callBackground } from './runtime'

// The manifest already limits it to http(s) top frames; this also holds for any other injection.
if ((location.protocol === 'http:' || location.protocol === 'https:') && window.top === window) {
  startPageBadges({
    document,
    call: callBackground,
    MutationObserver,
    IntersectionObserver,
    setTimer: (fn, ms) => {
      setTimeout(fn, ms)
    },
    now: () => performance.now(),
  })
}
