/**
 * The badge's look, inside its shadow root so the page's CSS cannot reach
 * it and it cannot reach the page. The pill carries its own background, so
 * it reads the same on light and dark pages; the panel follows the system's
 * colour scheme.
 */
export const BADGE_CSS = `
:host{all:initial;display:inline-block;vertical-align:middle;margin-inline-start:.35em}
.b{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;gap:.25em;
font:500 11px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#fff;background:#0d5c63;
border:1px solid #083b40;border-radius:999px;padding:0 .7em;cursor:pointer;white-space:nowrap}
.b:hover{background:#083b40}
.b:focus-visible{outline:2px solid #f5b700;outline-offset:2px}
.brand{font-weight:700;letter-spacing:.03em}
.sep{opacity:.8}
.p{position:fixed;inset:auto;margin:0;box-sizing:border-box;width:min(23rem,calc(100vw - 16px));
max-height:calc(100vh - 16px);overflow:auto;padding:12px 14px;border:1px solid #b8b8b8;border-radius:8px;
background:#fff;color:#1a1a1a;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
box-shadow:0 8px 28px rgba(0,0,0,.28);text-align:start}
.p:focus{outline:none}
.p h2{font-size:15px;font-weight:650;margin:0 0 8px;overflow-wrap:anywhere}
.p .k{margin:0 0 2px;font-size:11px;font-weight:700;letter-spacing:.04em;color:#0d5c63}
.p dl{display:grid;grid-template-columns:auto 1fr;gap:3px 12px;margin:0 0 8px}
.p dt{color:#555}
.p dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.p ul{margin:0 0 10px;padding-inline-start:1.1em;color:#555;font-size:12px}
.p .a{display:flex;gap:8px;flex-wrap:wrap}
.p button{font:inherit;font-size:12px;padding:4px 10px;border-radius:6px;border:1px solid #8a8a8a;
background:#f2f2f2;color:#1a1a1a;cursor:pointer}
.p button:focus-visible{outline:2px solid #0d5c63;outline-offset:2px}
.p .off{border-color:#a4262c;color:#a4262c;background:#fff}
@media (prefers-color-scheme:dark){
.p{background:#1f2326;color:#ececec;border-color:#4a4f54}
.p dt,.p ul{color:#b9bec3}
.p .k{color:#6fd3db}
.p button{background:#2c3136;color:#ececec;border-color:#6b7177}
.p .off{background:#1f2326;color:#ff8a8f;border-color:#ff8a8f}
.p button:focus-visible{outline-color:#6fd3db}
}`
