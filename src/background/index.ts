import browser from 'webextension-polyfill'
console.info('tseed background', browser.runtime.id)
