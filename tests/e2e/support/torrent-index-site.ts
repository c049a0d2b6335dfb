import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One row of the imitation torrent index. */
export interface IndexRow {
  name: string
  /** The magnet link's href, or a .torrent URL. */
  href: string
  /** Added by the page's script after load rather than served in the HTML. */
  late?: boolean
}

export interface TorrentIndexSite {
  origin: string
  /** Serves `rows` at `path` (replacing what was there). */
  page(path: string, title: string, rows: IndexRow[]): void
  close(): Promise<void>
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * A page shaped like a torrent index: a table of magnet links with a size
 * column, some rows added by script after load (as infinite scroll and
 * client-rendered lists do), and the page's own click handlers on the links
 * and the rows, recording what they saw. Long tasks are recorded too.
 */
function html(title: string, rows: IndexRow[]): string {
  const row = (r: IndexRow): string =>
    `<tr data-name="${escape(r.name)}"><td class="name">${escape(r.name)}</td>` +
    `<td class="dl"><a class="magnet" href="${escape(r.href)}" title="Download">⭳ magnet</a></td></tr>`
  const late = rows.filter((r) => r.late === true)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
  :root { color-scheme: light dark; }
  body { font: 14px/1.4 sans-serif; margin: 16px; }
  table { border-collapse: collapse; }
  td { border-bottom: 1px solid #8884; padding: 4px 8px; }
  tr:hover { background: #8882; }
</style>
<script>
  window.longTasks = []
  new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration) })
    .observe({ type: 'longtask', buffered: true })
  window.linkClicks = []
  window.rowClicks = 0
  addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a') : null
    // Recorded after every other handler: the default action must still be on.
    if (a) linkClicks.push({ href: a.getAttribute('href'), defaultPrevented: e.defaultPrevented })
  })
</script></head>
<body><h1>${escape(title)}</h1>
<table id="list"><tbody>
${rows
  .filter((r) => r.late !== true)
  .map(row)
  .join('\n')}
</tbody></table>
<script>
  document.getElementById('list').addEventListener('click', () => { rowClicks++ })
  const late = ${JSON.stringify(late.map(row))}
  window.addEventListener('load', () => {
    setTimeout(() => {
      document.querySelector('#list tbody').insertAdjacentHTML('beforeend', late.join(''))
      window.lateAdded = true
    }, 300)
  })
</script>
</body></html>`
}

export async function startTorrentIndexSite(): Promise<TorrentIndexSite> {
  const pages = new Map<string, string>()
  const server: Server = createServer((req, res) => {
    const body = pages.get(new URL(req.url ?? '/', 'http://x').pathname)
    if (body === undefined) {
      res.writeHead(404)
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page: (path, title, rows) => {
      pages.set(path, html(title, rows))
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
