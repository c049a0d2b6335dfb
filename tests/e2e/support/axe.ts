import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'

/** Runs axe-core on the page as it is now; every violation is listed with the elements it names. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  const found = violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'unknown'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  )
  expect(found, `accessibility of the ${screen} screen`).toEqual([])
}

/** The toolbar popup's size in Chrome and Firefox: 360 px wide, at most 600 px tall. */
export const POPUP_VIEWPORT = { width: 360, height: 600 }

/**
 * Checks that the page, shown at the popup's size, needs no horizontal
 * scrolling: nothing may be wider than the popup.
 */
export async function expectFitsPopup(page: Page, screen: string): Promise<void> {
  const before = page.viewportSize()
  await page.setViewportSize(POPUP_VIEWPORT)
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5)
      .map((e) => e.getAttribute('data-testid') ?? e.tagName.toLowerCase())
    return { scroll: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5) }
  })
  if (before !== null) await page.setViewportSize(before)
  expect(overflow, `width of the ${screen} screen at 360 px`).toEqual({ scroll: 0, wide: [] })
}
