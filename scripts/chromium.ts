import { chromium, type BrowserContext, type Worker } from '@playwright/test'

/** Debian's Chromium; Playwright cannot download its own browsers here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface ExtensionContext {
  context: BrowserContext
  worker: Worker
  extensionId: string
}

/**
 * Chromium with one unpacked extension, in a persistent profile (extensions
 * need one). Background networking is off because this machine's closed
 * network refuses Chromium's own connections, many at a time.
 */
export async function launchExtensionContext(opts: {
  extensionDir: string
  profileDir: string
  headless: boolean
  /** Size pages by the window (for a person watching) instead of a fixed viewport. */
  windowSized?: boolean
  extraArgs?: string[]
}): Promise<ExtensionContext> {
  const context = await chromium.launchPersistentContext(opts.profileDir, {
    executablePath: CHROMIUM,
    headless: opts.headless,
    ...(opts.windowSized === true ? { viewport: null } : {}),
    args: [
      `--disable-extensions-except=${opts.extensionDir}`,
      `--load-extension=${opts.extensionDir}`,
      '--no-first-run',
      '--disable-sync',
      '--disable-background-networking',
      '--disable-component-update',
      ...(opts.extraArgs ?? []),
    ],
  })
  let [worker] = context.serviceWorkers()
  worker ??= await context.waitForEvent('serviceworker')
  return { context, worker, extensionId: new URL(worker.url()).host }
}
