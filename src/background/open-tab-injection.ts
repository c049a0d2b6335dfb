import { adoptSecretUnlessBridged } from '../content/bridge-handover'
import { installWsHook } from '../content/ws-hook'

export interface InjectionTarget {
  tabId: number
  allFrames?: boolean
  frameIds?: number[]
}

/** The two shapes of `scripting.executeScript` used here. */
export type Injection =
  | {
      target: InjectionTarget
      world: 'ISOLATED' | 'MAIN'
      func: (secret: string) => unknown
      args: [string]
    }
  | { target: InjectionTarget; files: string[] }

export interface InjectionResultLike {
  frameId: number
  result?: unknown
}

export interface OpenTabInjectionDeps {
  /** The open http(s) tabs (`tabs.query`). */
  tabs: () => Promise<{ id?: number; url?: string }[]>
  executeScript: (injection: Injection) => Promise<InjectionResultLike[]>
  /** The bridge's built file(s), as the manifest lists them. */
  bridgeFiles: string[]
  /** A fresh 32-hex-char secret. */
  secret: () => string
  warn: (message: string) => void
}

export interface InjectionSummary {
  /** Tabs that got the scripts in at least one frame. */
  injected: number
  /** Tabs that already had them everywhere. */
  skipped: number
  /** Tabs the browser would not let us into (e.g. the web store, a PDF viewer). */
  failed: number
}

/**
 * Content scripts in the manifest only reach pages loaded after install or
 * update (Chromium and Firefox alike), so on install, update and browser start the
 * WebSocket hook and its bridge are injected into the http(s) tabs already
 * open. Each frame is first asked, in the isolated world where the page
 * cannot interfere, whether a live bridge already runs there; only frames
 * without one get the pair, with a secret passed as an argument rather than
 * exchanged through the live page.
 */
export async function injectIntoOpenTabs(d: OpenTabInjectionDeps): Promise<InjectionSummary> {
  const summary: InjectionSummary = { injected: 0, skipped: 0, failed: 0 }
  if (d.bridgeFiles.length === 0) {
    d.warn('tseed: the manifest lists no WebSocket bridge script; open tabs are not covered')
    return summary
  }
  const tabs = (await d.tabs()).filter(
    (t): t is { id: number; url?: string } =>
      typeof t.id === 'number' && t.id >= 0 && /^https?:/.test(t.url ?? ''),
  )
  await Promise.all(
    tabs.map(async ({ id: tabId }) => {
      try {
        const secret = d.secret()
        const probe = await d.executeScript({
          target: { tabId, allFrames: true },
          world: 'ISOLATED',
          func: adoptSecretUnlessBridged,
          args: [secret],
        })
        const frameIds = probe.filter((r) => r.result === true).map((r) => r.frameId)
        if (frameIds.length === 0) {
          summary.skipped++
          return
        }
        // The bridge first, so the hook's first report has a listener.
        await d.executeScript({ target: { tabId, frameIds }, files: d.bridgeFiles })
        await d.executeScript({
          target: { tabId, frameIds },
          world: 'MAIN',
          func: installWsHook,
          args: [secret],
        })
        summary.injected++
      } catch {
        summary.failed++
      }
    }),
  )
  return summary
}

interface ManifestContentScript {
  js?: string[]
  world?: string
}

/** The isolated-world bridge file(s) of the built manifest (crxjs renames sources). */
export function bridgeFilesFromManifest(manifest: {
  content_scripts?: ManifestContentScript[]
}): string[] {
  return (manifest.content_scripts ?? [])
    .filter((cs) => (cs.world ?? 'ISOLATED') === 'ISOLATED')
    .flatMap((cs) => cs.js ?? [])
    .filter((file) => file.includes('ws-bridge'))
}
