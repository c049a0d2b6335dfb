import browser, { type Runtime } from 'webextension-polyfill'
import { createBackground } from './background'
import { openOutboxDb } from './outbox-db'
import { abstractRelayFactory } from './relay-pool'
import { registerTrackerObserver } from './tracker-observer'
import { openWelcomeOnInstall } from './welcome'

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
})

// Every listener is added in the first turn of the script: a stopped service
// worker (Chrome) or event page (Firefox) is only woken for listeners that
// exist by the time its top-level code has run.
registerTrackerObserver(browser.webRequest, background.onRequest)
browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) =>
  background.onMessage(message, sender),
)
browser.alarms.onAlarm.addListener(background.onAlarm)
browser.runtime.onInstalled.addListener(
  openWelcomeOnInstall({
    getURL: (path) => browser.runtime.getURL(path),
    openTab: (url) => browser.tabs.create({ url }),
    warn,
  }),
)

// Whatever a previous worker left queued goes out now.
void background.start()
