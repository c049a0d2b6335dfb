import type { Page } from '@playwright/test'
import type { PopupDriver } from './popup-actions'

export function playwrightDriver(page: Page): PopupDriver {
  return {
    click: (sel) => page.locator(sel).first().click(),
    fill: (sel, value) => page.locator(sel).first().fill(value),
    text: async (sel) => (await page.locator(sel).first().textContent()) ?? '',
    count: (sel) => page.locator(sel).count(),
    attributes: async (sel, name) =>
      await page
        .locator(sel)
        .evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ''), name),
  }
}
