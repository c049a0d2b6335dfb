import type { Page } from 'puppeteer-core'
import type { PopupDriver } from './popup-actions'

export function puppeteerDriver(page: Page): PopupDriver {
  return {
    click: async (sel) => {
      await page.locator(sel).click()
    },
    fill: async (sel, value) => {
      await page.locator(sel).fill(value)
    },
    text: (sel) => page.$eval(sel, (e) => e.textContent),
    count: async (sel) => (await page.$$(sel)).length,
    attributes: (sel, name) =>
      page.$$eval(sel, (els, n) => els.map((e) => e.getAttribute(n) ?? ''), name),
  }
}
