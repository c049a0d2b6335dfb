/**
 * One badge in the page: a `<tseed-badge>` element placed right after the
 * link (never inside it, so the link's own click is untouched), holding a
 * closed shadow root, so neither the page's styles nor its scripts reach in
 * (the panel shows the user's balance). The panel is a popover, in the top
 * layer: it never moves the page's layout, and is built only when opened.
 */
import type { SwarmBadgeView } from '../background/site-badges/protocol'
import { BADGE_CSS } from './badge-style'
import { badgeText, panelNotes, panelRows, type BadgeContext } from './badge-text'

export const BADGE_TAG = 'tseed-badge'

export interface BadgeView {
  readonly host: HTMLElement
  show(view: SwarmBadgeView): void
  remove(): void
}

export interface BadgeDeps {
  /** The latest page-wide context (balance, relays), read when the panel opens. */
  context: () => BadgeContext
  /** The user chose "Turn TSEED off on this site" in a panel. */
  onTurnOff: () => void
}

/** Events that stop at the badge: the page's own handlers (a row's click, say) never see them. */
const CONTAINED = [
  'click',
  'dblclick',
  'auxclick',
  'mousedown',
  'mouseup',
  'pointerdown',
  'pointerup',
  'keydown',
  'keyup',
  'touchstart',
  'contextmenu',
]
/** The host's own box: fixed here, so a page rule for unknown elements cannot stretch or float it. */
const HOST_STYLE =
  'display:inline-block!important;margin:0 0 0 .35em!important;padding:0!important;border:0!important;' +
  'float:none!important;position:static!important;width:auto!important;height:auto!important;' +
  'vertical-align:middle!important;visibility:visible!important;opacity:1!important;transform:none!important'

let template: HTMLTemplateElement | undefined
let sheet: CSSStyleSheet | null | undefined
let nextId = 0

/**
 * One stylesheet shared by every badge's shadow root, parsed once. Firefox
 * does not let a content script hand its own sheet to a page's shadow root;
 * there each badge gets a `<style>` element instead.
 */
function adoptSheet(root: ShadowRoot): boolean {
  if (sheet === undefined) {
    try {
      sheet = new CSSStyleSheet()
      sheet.replaceSync(BADGE_CSS)
    } catch {
      sheet = null
    }
  }
  if (sheet === null) return false
  try {
    root.adoptedStyleSheets = [sheet]
    return true
  } catch {
    sheet = null
    return false
  }
}

/** The badge's shadow content, built once per page and cloned for each link. */
function badgeTemplate(doc: Document): HTMLTemplateElement {
  if (template !== undefined) return template
  const t = doc.createElement('template')
  const button = doc.createElement('button')
  button.type = 'button'
  button.className = 'b'
  button.setAttribute('aria-haspopup', 'dialog')
  button.setAttribute('aria-expanded', 'false')
  const part = (name: string): HTMLSpanElement => {
    const s = doc.createElement('span')
    s.dataset.part = name
    return s
  }
  const brand = doc.createElement('span')
  brand.className = 'brand'
  brand.textContent = 'TSEED'
  const sep = (): HTMLSpanElement => {
    const s = doc.createElement('span')
    s.className = 'sep'
    s.textContent = '·'
    return s
  }
  button.append(
    brand,
    part('seeders'),
    part('seeders-unit'),
    sep(),
    part('leechers'),
    part('leechers-unit'),
    sep(),
    part('price'),
    doc.createTextNode('TSEED/MB'),
    sep(),
    part('cost'),
  )
  const panel = doc.createElement('div')
  panel.className = 'p'
  panel.setAttribute('role', 'dialog')
  panel.setAttribute('popover', 'auto')
  panel.tabIndex = -1
  t.content.append(button, panel)
  template = t
  return t
}

/**
 * Creates a badge for `anchor` and places it after the link; call
 * {@link BadgeView.show} right away, the badge is empty until then.
 */
export function createBadge(anchor: Element, deps: BadgeDeps): BadgeView {
  const doc = anchor.ownerDocument
  const host = doc.createElement(BADGE_TAG)
  host.setAttribute('style', HOST_STYLE)
  // delegatesFocus: focusing or clicking the host focuses the button, for keyboard and pointer alike.
  const root = host.attachShadow({ mode: 'closed', delegatesFocus: true })
  if (!adoptSheet(root)) {
    const style = doc.createElement('style')
    style.textContent = BADGE_CSS
    root.append(style)
  }
  root.append(badgeTemplate(doc).content.cloneNode(true))
  for (const type of CONTAINED) {
    root.addEventListener(type, (e) => {
      e.stopPropagation()
    })
  }
  const button = root.querySelector('button') as HTMLButtonElement
  const panel = root.querySelector('.p') as HTMLDivElement
  const parts = new Map<string, Element>()
  for (const el of root.querySelectorAll('[data-part]'))
    parts.set((el as HTMLElement).dataset.part ?? '', el)
  const set = (name: string, text: string): void => {
    const el = parts.get(name)
    if (el !== undefined && el.textContent !== text) el.textContent = text
  }
  const titleId = `tseed-panel-title-${++nextId}`
  panel.setAttribute('aria-labelledby', titleId)
  button.popoverTargetElement = panel
  let current: SwarmBadgeView | undefined

  // Filled and placed under the badge before it shows, so it never flashes elsewhere; once
  // shown (its size known) it moves above the badge if there is no room below.
  panel.addEventListener('beforetoggle', (e) => {
    if (e.newState !== 'open' || current === undefined) return
    fillPanel(doc, panel, titleId, current, deps)
    place(panel, button)
  })
  panel.addEventListener('toggle', (e) => {
    const open = e.newState === 'open'
    button.setAttribute('aria-expanded', String(open))
    if (!open) return
    place(panel, button)
    panel.focus()
  })

  anchor.after(host)
  return {
    host,
    show(view) {
      current = view
      const t = badgeText(view)
      set('seeders', t.seeders)
      set('seeders-unit', view.seeders === 1 ? 'seeder' : 'seeders')
      set('leechers', t.leechers)
      set('leechers-unit', view.leechers === 1 ? 'leecher' : 'leechers')
      set('price', t.price)
      set('cost', t.cost === null ? 'size unknown' : `${t.cost} TSEED`)
      if (button.getAttribute('aria-label') !== t.label) button.setAttribute('aria-label', t.label)
      if (panel.matches(':popover-open')) fillPanel(doc, panel, titleId, view, deps)
    },
    remove() {
      if (panel.matches(':popover-open')) panel.hidePopover()
      host.remove()
    },
  }
}

function fillPanel(
  doc: Document,
  panel: HTMLElement,
  titleId: string,
  view: SwarmBadgeView,
  deps: BadgeDeps,
): void {
  const ctx = deps.context()
  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text?: string,
  ): HTMLElementTagNameMap[K] => {
    const e = doc.createElement(tag)
    if (text !== undefined) e.textContent = text
    return e
  }
  const kicker = el('p', 'TSEED ON YOUR RELAYS')
  kicker.className = 'k'
  const title = el('h2', view.title ?? 'This torrent')
  title.id = titleId
  const dl = el('dl')
  for (const row of panelRows(view, ctx)) {
    const dt = el('dt', row.label)
    const dd = el('dd', row.value)
    dd.dataset.row = row.key
    dl.append(dt, dd)
  }
  const notes = el('ul')
  for (const note of panelNotes(view, ctx)) notes.append(el('li', note))
  const off = el('button', 'Turn TSEED off on this site')
  off.type = 'button'
  off.className = 'off'
  off.dataset.action = 'off'
  off.title =
    'Hides these badges and publishes nothing for this site. Undo it in the TSEED popup: Settings, Sites and budgets.'
  off.addEventListener('click', (e) => {
    // Only the user's own click: a page cannot reach into the closed shadow root, but stays out anyway.
    if (e.isTrusted) deps.onTurnOff()
  })
  const close = el('button', 'Close')
  close.type = 'button'
  close.dataset.action = 'close'
  close.addEventListener('click', () => {
    panel.hidePopover()
  })
  const actions = el('div')
  actions.className = 'a'
  actions.append(off, close)
  panel.replaceChildren(kicker, title, dl, notes, actions)
}

/** Below the badge, or above it when there is no room; always inside the viewport. */
function place(panel: HTMLElement, button: HTMLElement): void {
  const win = panel.ownerDocument.defaultView
  if (win === null) return
  const b = button.getBoundingClientRect()
  const p = panel.getBoundingClientRect()
  const margin = 8
  let top = b.bottom + 6
  if (top + p.height > win.innerHeight - margin) top = Math.max(margin, b.top - p.height - 6)
  const left = Math.min(
    Math.max(margin, b.left),
    Math.max(margin, win.innerWidth - p.width - margin),
  )
  panel.style.top = `${Math.round(top)}px`
  panel.style.left = `${Math.round(left)}px`
}
