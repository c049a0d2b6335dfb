import type { CDPSession, Page } from '@playwright/test'

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: { data?: { url?: string } }
}

/** Main-thread figures for one script in one page, in milliseconds. */
export interface ScriptTimes {
  /** Time inside the script's own functions (their calls merged, so nested calls count once). */
  scriptMs: number
  /** How many separate stretches of the script's code ran. */
  scriptRuns: number
  /** The longest of those stretches. */
  longestScriptMs: number
  /**
   * Every task on the page's main thread from the script's first run to its
   * last, whatever it did: the script, the style, layout and paint its DOM
   * changes cause, and anything else the page did meanwhile.
   */
  windowTaskMs: number
  /** The longest task in that window. */
  longestTaskMs: number
  /** From the script's first run to its last. */
  windowMs: number
}

const CATEGORIES = ['devtools.timeline', 'toplevel'].join(',')
const TASK_EVENTS = new Set(['RunTask', 'ThreadControllerImpl::RunTask'])
const SCRIPT_EVENTS = new Set(['FunctionCall', 'EvaluateScript', 'v8.compile', 'v8.callFunction'])

/**
 * Records a Chromium trace around `action` and measures the main-thread
 * work of the script whose URL starts with `scriptUrlPrefix`, the way the
 * browser's performance panel attributes it.
 */
export async function traceScript<T>(
  page: Page,
  scriptUrlPrefix: string,
  action: () => Promise<T>,
): Promise<{ result: T; times: ScriptTimes }> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Tracing.start', {
      transferMode: 'ReturnAsStream',
      traceConfig: {
        includedCategories: CATEGORIES.split(','),
        recordMode: 'recordAsMuchAsPossible',
      },
    })
    const result = await action()
    const complete = new Promise<{ stream?: string }>((resolve) => {
      cdp.once('Tracing.tracingComplete', resolve)
    })
    await cdp.send('Tracing.end')
    const { stream } = await complete
    if (stream === undefined) throw new Error('the trace came back without a stream')
    const events = parseTrace(await readStream(cdp, stream))
    return { result, times: measure(events, scriptUrlPrefix) }
  } finally {
    await cdp.detach()
  }
}

async function readStream(cdp: CDPSession, handle: string): Promise<string> {
  let out = ''
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle, size: 1 << 20 })
    out +=
      chunk.base64Encoded === true ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data
    if (chunk.eof) break
  }
  await cdp.send('IO.close', { handle })
  return out
}

function parseTrace(text: string): TraceEvent[] {
  const doc = JSON.parse(text) as TraceEvent[] | { traceEvents: TraceEvent[] }
  return Array.isArray(doc) ? doc : doc.traceEvents
}

function measure(events: TraceEvent[], prefix: string): ScriptTimes {
  const ours = events.filter(
    (e) =>
      e.ph === 'X' && SCRIPT_EVENTS.has(e.name) && (e.args?.data?.url ?? '').startsWith(prefix),
  )
  const first = ours[0]
  if (first === undefined) throw new Error(`no trace event ran code from ${prefix}`)
  const thread = (e: TraceEvent): boolean => e.pid === first.pid && e.tid === first.tid
  const runs = union(ours.filter(thread).map((e) => [e.ts, e.ts + (e.dur ?? 0)]))
  const start = runs[0]![0]
  const end = runs.at(-1)![1]
  const tasks = union(
    events
      .filter((e) => e.ph === 'X' && TASK_EVENTS.has(e.name) && thread(e))
      .map((e): [number, number] => [e.ts, e.ts + (e.dur ?? 0)])
      .filter(([s, e]) => e > start && s < end),
  )
  const ms = (us: number): number => Math.round(us / 10) / 100
  const lengths = (xs: [number, number][]): number[] => xs.map(([s, e]) => e - s)
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  return {
    scriptMs: ms(sum(lengths(runs))),
    scriptRuns: runs.length,
    longestScriptMs: ms(Math.max(...lengths(runs))),
    windowTaskMs: ms(sum(lengths(tasks))),
    longestTaskMs: ms(Math.max(0, ...lengths(tasks))),
    windowMs: ms(end - start),
  }
}

/** Overlapping and nested intervals merged, in order. */
function union(xs: [number, number][]): [number, number][] {
  const sorted = [...xs].sort((a, b) => a[0] - b[0])
  const out: [number, number][] = []
  for (const [s, e] of sorted) {
    const last = out.at(-1)
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e)
    else out.push([s, e])
  }
  return out
}
