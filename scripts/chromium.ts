import { chromium, type BrowserContext, type Worker } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Debian's Chromium; Playwright cannot download its own browsers here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface ExtensionContext {
  context: BrowserContext
  /** The service worker of `extensionDir`. */
  worker: Worker
  extensionId: string
  /** The service workers of `extraExtensionDirs`, in that order. */
  extraWorkers: Worker[]
}

/**
 * Chromium with one unpacked extension, in a persistent profile (extensions
 * need one). Background networking is off because this machine's closed
 * network refuses Chromium's own connections, many at a time.
 */
export async function launchExtensionContext(opts: {
  extensionDir: string
  /**
   * More unpacked extensions to load next to it (test fixtures such as a
   * NIP-07 signer). Each needs a background service worker whose file name
   * differs from the others', since workers are told apart by their URL.
   */
  extraExtensionDirs?: string[]
  profileDir: string
  headless: boolean
  /** Size pages by the window (for a person watching) instead of a fixed viewport. */
  windowSized?: boolean
  extraArgs?: string[]
}): Promise<ExtensionContext> {
  const dirs = [opts.extensionDir, ...(opts.extraExtensionDirs ?? [])]
  const context = await chromium.launchPersistentContext(opts.profileDir, {
    executablePath: CHROMIUM,
    headless: opts.headless,
    ...(opts.windowSized === true ? { viewport: null } : {}),
    args: [
      `--disable-extensions-except=${dirs.join(',')}`,
      `--load-extension=${dirs.join(',')}`,
      '--no-first-run',
      '--disable-sync',
      '--disable-background-networking',
      '--disable-component-update',
      ...(opts.extraArgs ?? []),
    ],
  })
  if (dirs.length === 1) {
    let [worker] = context.serviceWorkers()
    worker ??= await context.waitForEvent('serviceworker')
    return { context, worker, extensionId: new URL(worker.url()).host, extraWorkers: [] }
  }
  try {
    const paths = dirs.map(serviceWorkerPath)
    if (new Set(paths).size !== paths.length) {
      throw new Error(
        `extensions with the same service worker file cannot be told apart: ${paths.join(', ')}`,
      )
    }
    const [worker, ...extraWorkers] = await Promise.all(
      paths.map((p) => workerAt(context, p, 30_000)),
    )
    return { context, worker: worker!, extensionId: new URL(worker!.url()).host, extraWorkers }
  } catch (err) {
    await context.close()
    throw err
  }
}

/** `/service-worker-loader.js`: the URL path of an unpacked extension's background worker. */
function serviceWorkerPath(extensionDir: string): string {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8')) as {
    name?: string
    background?: { service_worker?: string }
  }
  const file = manifest.background?.service_worker
  if (file === undefined) {
    throw new Error(`${manifest.name ?? extensionDir} has no background service worker`)
  }
  return `/${file.replace(/^\.?\//, '')}`
}

/** The extension service worker whose URL path is `path`, once it is running. */
async function workerAt(context: BrowserContext, path: string, timeoutMs: number): Promise<Worker> {
  const find = (): Worker | undefined =>
    context
      .serviceWorkers()
      .find((w) => w.url().startsWith('chrome-extension://') && new URL(w.url()).pathname === path)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find()
    if (found !== undefined) return found
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`no extension service worker at ${path} after ${timeoutMs} ms`)
    // Short waits: a worker that started between find() and here fires no second event.
    await context
      .waitForEvent('serviceworker', { timeout: Math.min(left, 500) })
      .catch(() => undefined)
  }
}
