import { render } from 'preact'
import browser from 'webextension-polyfill'
import { App } from './app'
import { createSend } from './client'
import { createHostPermission } from './host-permission'
import './popup.css'

const view = new URLSearchParams(location.search).get('view') === 'welcome' ? 'welcome' : 'popup'
const root = document.getElementById('app')
if (root === null) throw new Error('popup markup has no #app element')

render(
  <App
    send={createSend((m) => browser.runtime.sendMessage(m))}
    view={view}
    hostPermission={createHostPermission(__BROWSER__, browser.permissions)}
  />,
  root,
)
