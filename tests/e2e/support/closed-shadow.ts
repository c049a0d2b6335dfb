import type { CDPSession, Page } from '@playwright/test'

/** What one badge shows, read from inside its closed shadow root. */
export interface BadgeReading {
  /** The `href` of the link the badge follows. */
  href: string
  /** Text of each `[data-part]` of the badge. */
  parts: Record<string, string>
  /** The badge button's accessible name. */
  label: string | null
  expanded: string | null
  /** The panel's title and rows (`dd[data-row]`), when it was ever opened. */
  panel: { title: string; rows: Record<string, string>; notes: string[] } | null
}

interface DomNode {
  nodeType: number
  nodeName: string
  nodeValue: string
  attributes?: string[]
  children?: DomNode[]
  shadowRoots?: DomNode[]
}

/**
 * Reads every badge through the DevTools protocol, which, like the browser's
 * own inspector, sees into closed shadow roots that page scripts cannot.
 */
export async function readBadges(page: Page): Promise<BadgeReading[]> {
  const cdp: CDPSession = await page.context().newCDPSession(page)
  try {
    const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as {
      root: DomNode
    }
    const out: BadgeReading[] = []
    const walk = (node: DomNode): void => {
      const kids = node.children ?? []
      kids.forEach((child, i) => {
        if (child.nodeName === 'TSEED-BADGE') {
          const anchor = kids
            .slice(0, i)
            .reverse()
            .find((n) => n.nodeType === 1)
          out.push(reading(attr(anchor, 'href') ?? '', child.shadowRoots?.[0]))
        }
        walk(child)
      })
    }
    walk(root)
    return out
  } finally {
    await cdp.detach()
  }
}

function reading(href: string, shadow: DomNode | undefined): BadgeReading {
  const parts: Record<string, string> = {}
  let label: string | null = null
  let expanded: string | null = null
  let panel: BadgeReading['panel'] = null
  const visit = (n: DomNode): void => {
    const part = attr(n, 'data-part')
    if (part !== undefined) parts[part] = text(n)
    if (n.nodeName === 'BUTTON' && attr(n, 'aria-haspopup') === 'dialog') {
      label = attr(n, 'aria-label') ?? null
      expanded = attr(n, 'aria-expanded') ?? null
    }
    if (attr(n, 'role') === 'dialog' && (n.children?.length ?? 0) > 0) {
      const rows: Record<string, string> = {}
      const notes: string[] = []
      let title = ''
      const inPanel = (m: DomNode): void => {
        const row = attr(m, 'data-row')
        if (row !== undefined) rows[row] = text(m)
        if (m.nodeName === 'H2') title = text(m)
        if (m.nodeName === 'LI') notes.push(text(m))
        for (const c of m.children ?? []) inPanel(c)
      }
      inPanel(n)
      panel = { title, rows, notes }
    }
    for (const c of n.children ?? []) visit(c)
  }
  if (shadow !== undefined) visit(shadow)
  return { href, parts, label, expanded, panel }
}

function attr(n: DomNode | undefined, name: string): string | undefined {
  const a = n?.attributes ?? []
  for (let i = 0; i + 1 < a.length; i += 2) if (a[i] === name) return a[i + 1]
  return undefined
}

function text(n: DomNode): string {
  if (n.nodeType === 3) return n.nodeValue
  return (n.children ?? []).map(text).join('')
}
