import browser, { type Runtime } from 'webextension-polyfill'
import { createBackground } from './background'
import { openOutboxDb } from './outbox-db'
import { abstractRelayFactory } from './relay-pool'
import { registerTrackerObserver } from './tracker-observer'
import { createReplacePlatform } from './replace/platform'
import { bridgeFilesFromManifest, injectIntoOpenTabs } from './open-tab-injection'
import { openWelcomeOnInstall } from './welcome'

/** One notification id: a newer question replaces the older one instead of stacking. */
const HELD_NOTIFICATION = 'tseed-held'

const warn = (message: string): void => {
  console.warn(message)
}

const background = createBackground({
  runtimeId: browser.runtime.id,
  extensionBase: browser.runtime.getURL(''),
  localArea: browser.storage.local,
  sessionArea: browser.storage.session,
  openDb: () => openOutboxDb(),
  relayFactory: abstractRelayFactory(),
  alarms: browser.alarms,
  now: () => Date.now(),
  random: () => Math.random(),
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
  warn,
  fetch: (url, init) => fetch(url, init),
  tabUrl: async (tabId) => (await browser.tabs.get(tabId)).url,
  notify: ({ title, message }) => {
    browser.notifications
      .create(HELD_NOTIFICATION, {
        type: 'basic',
        iconUrl: browser.runtime.getURL('icons/icon-128.png'),
        title,
        message,
      })
      .catch((e: unknown) => {
        warn(`tseed: notification failed: ${(e as Error).message}`)
      })
  },
  setBadge: ({ held, needsFunds }) => {
    // A question for the user comes first; missing funds show when nothing is asked.
    const text = held > 0 ? (held > 99 ? '99+' : String(held)) : needsFunds ? '!' : ''
    void browser.action.setBadgeBackgroundColor({ color: held > 0 ? '#b35c00' : '#b3261e' })
    void browser.action.setBadgeText({ text })
    void browser.action.setTitle({
      title:
        held > 0
          ? `TSEED: ${held} announce${held === 1 ? '' : 's'} wait for your OK`
          : needsFunds
            ? 'TSEED: top up to keep downloading'
            : 'TSEED',
    })
  },
  WebSocket: globalThis.WebSocket,
  replacePlatform: createReplacePlatform,
  nip07: {
    executeInTab: async (tabId, func, args) => {
      const [first] = await browser.scripting.executeScript({
        target: { tabId },
        world: 'MAIN',
        func,
        args,
      })
      return first?.result
    },
    // The tab the user is looking at first: its signer is the one that may prompt them.
    candidateTabs: async () => {
      const tabs = await browser.tabs.query({ url: ['http://*/*', 'https://*/*'] })
      return tabs
        .sort(
          (a, b) =>
            Number(b.active) - Number(a.active) || (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0),
        )
        .flatMap((t) => (t.id === undefined ? [] : [t.id]))
    },
  },
})

// Every listener is added in the first turn of the script: a stopped service
// worker (Chrome) or event page (Firefox) is only woken for listeners that
// exist by the time its top-level code has run.
registerTrackerObserver(browser.webRequest, background.onRequest)
browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) =>
  background.onMessage(message, sender),
)
browser.alarms.onAlarm.addListener(background.onAlarm)
// Replace mode's rules belong to one page of one tab.
browser.tabs.onRemoved.addListener((tabId) => {
  background.onTabGone(tabId)
})
browser.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status === 'loading') background.onTabGone(tabId)
})
// Chrome and Firefox cannot open the toolbar popup from a notification; the same page opens in a tab.
browser.notifications.onClicked.addListener((id) => {
  if (id !== HELD_NOTIFICATION) return
  void browser.tabs.create({ url: browser.runtime.getURL('src/popup/index.html') })
  void browser.notifications.clear(id)
})
browser.runtime.onInstalled.addListener(
  openWelcomeOnInstall({
    getURL: (path) => browser.runtime.getURL(path),
    openTab: (url) => browser.tabs.create({ url }),
    warn,
  }),
)
// Tabs open before install or update get the WebSocket tracker hook too.
const coverOpenTabs = (): void => {
  injectIntoOpenTabs({
    tabs: () => browser.tabs.query({ url: ['http://*/*', 'https://*/*'] }),
    executeScript: (injection) => browser.scripting.executeScript(injection),
    bridgeFiles: bridgeFilesFromManifest(browser.runtime.getManifest()),
    secret: () =>
      Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join(''),
    warn,
  }).catch((e: unknown) => {
    warn(`tseed: could not cover open tabs: ${(e as Error).message}`)
  })
}
browser.runtime.onInstalled.addListener(coverOpenTabs)
browser.runtime.onStartup.addListener(coverOpenTabs)

// Whatever a previous worker left queued goes out now.
void background.start()
