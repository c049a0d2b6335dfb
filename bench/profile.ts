/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) into self time per
 * area of the code, to say where the relay's main thread spends its time.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/**
 * Ordered: the first rule whose test matches a frame's script names its area.
 * Native code (SQLite statements, JSON, hashing) has no script of its own and
 * is charged to the JavaScript that called it.
 */
const AREAS: [string, (url: string) => boolean][] = [
  [
    'ledger (with its SQLite statements)',
    (url) => /\/relay\/src\/ledger\/|\/src\/balance\//.test(url),
  ],
  ['announce store (with its SQLite statements)', (url) => url.includes('/relay/src/store/')],
  ['group commit', (url) => url.includes('/relay/src/core/group-commit')],
  ['verifier pool, main-thread side', (url) => /worker-verifier|verify-protocol/.test(url)],
  ['relay core (parse, checks, locks)', (url) => /\/relay\/src\/core\/|\/src\/nostr\//.test(url)],
  [
    'SQLite transactions (BEGIN, SAVEPOINT, COMMIT: WAL writes, checkpoints)',
    (url) => url.includes('better-sqlite3'),
  ],
  ['ws transport', (url) => url.includes('/node_modules/ws/')],
  ['transport glue', (url) => url.includes('/relay/src/transport/')],
  ['node internals (net, streams, timers)', (url) => url.startsWith('node:')],
]

const SPECIAL = new Map([
  ['(idle)', 'idle'],
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'V8 and native, unattributed'],
  ['(root)', 'V8 and native, unattributed'],
])

/** Self time per area, in milliseconds, biggest first. */
export function summariseProfile(path: string): { area: string; ms: number; share: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfMs = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  const areas = new Map<string, number>()
  let total = 0
  for (const [id, ms] of selfMs) {
    const area = areaOf(id, byId, parent)
    areas.set(area, (areas.get(area) ?? 0) + ms)
    total += ms
  }
  return [...areas]
    .map(([area, ms]) => ({ area, ms, share: ms / total }))
    .sort((a, b) => b.ms - a.ms)
}

function areaOf(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  const first = byId.get(id)
  const special = first === undefined ? undefined : SPECIAL.get(first.callFrame.functionName)
  if (special !== undefined) return special
  for (let n = first; n !== undefined; n = byId.get(parent.get(n.id) ?? -1)) {
    const url = n.callFrame.url
    if (url === '') continue
    return AREAS.find(([, test]) => test(url))?.[0] ?? 'other JavaScript'
  }
  return 'V8 and native, unattributed'
}
