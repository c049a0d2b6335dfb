/** The popup page in its welcome view; also the page the Firefox tests drive. */
export const WELCOME_PATH = 'src/popup/index.html?view=welcome'

export interface WelcomeDeps {
  getURL: (path: string) => string
  openTab: (url: string) => Promise<unknown>
  warn: (message: string) => void
}

/**
 * `runtime.onInstalled` listener: on a fresh install (not an update or a
 * browser update) opens the welcome page, which explains what gets published
 * and recommends a dedicated seeding key.
 */
export function openWelcomeOnInstall(deps: WelcomeDeps): (details: { reason: string }) => void {
  return (details) => {
    if (details.reason !== 'install') return
    deps.openTab(deps.getURL(WELCOME_PATH)).catch((e: unknown) => {
      deps.warn(`tseed: could not open the welcome page: ${(e as Error).message}`)
    })
  }
}
