/**
 * CPU time of a local PostgreSQL cluster, from Linux /proc: the postmaster
 * (its pid is the first line of `postmaster.pid` in the data folder) and
 * every process it forked. A child that exits between two snapshots is
 * counted through the postmaster's cutime/cstime, which the kernel adds to
 * when the postmaster reaps it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Clock ticks per second of /proc CPU times; 100 on every mainstream Linux build. */
const CLK_TCK = 100

export interface ClusterCpu {
  /** CPU seconds per live process, by pid. */
  byPid: Map<number, { seconds: number; kind: string }>
  /** CPU seconds of the postmaster's children that have exited and been reaped. */
  reaped: number
}

/** The postmaster's pid from `dataDir/postmaster.pid`. */
export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${dataDir}`)
  return pid
}

/** Fields after the parenthesised command name of /proc/<pid>/stat (field 3 first). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined // the process ended between the listing and the read
  }
}

/**
 * What a PostgreSQL process is, from the title it sets itself:
 * `postgres: user db 127.0.0.1(port) idle` is a client backend; background
 * processes name themselves (`checkpointer`, `walwriter`, …).
 */
function kindOf(pid: number, postmaster: number): string {
  if (pid === postmaster) return 'postmaster'
  let title: string
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return 'unknown'
  }
  const rest = title.replace(/^postgres:\s*/, '')
  if (/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(rest)) return 'client backend'
  return rest.split(/\s+/).slice(0, 2).join(' ') || 'unknown'
}

export function clusterCpu(postmaster: number): ClusterCpu {
  const byPid = new Map<number, { seconds: number; kind: string }>()
  const own = statFields(postmaster)
  if (own === undefined) throw new Error(`the postmaster ${postmaster} is not running`)
  // utime, stime, cutime, cstime are fields 14–17; the slice starts at field 3.
  const seconds = (f: string[]): number => (Number(f[11]) + Number(f[12])) / CLK_TCK
  byPid.set(postmaster, { seconds: seconds(own), kind: 'postmaster' })
  const reaped = (Number(own[13]) + Number(own[14])) / CLK_TCK
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const f = statFields(pid)
    // Field 4, the parent pid.
    if (f === undefined || Number(f[1]) !== postmaster) continue
    byPid.set(pid, { seconds: seconds(f), kind: kindOf(pid, postmaster) })
  }
  return { byPid, reaped }
}

/** CPU seconds the cluster used between two snapshots, in all and by kind of process. */
export function clusterCpuUsed(
  a: ClusterCpu,
  b: ClusterCpu,
): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {}
  // A process reaped in between counts its whole life in `reaped`; what it
  // had used by the first snapshot is not this window's.
  let total = b.reaped - a.reaped
  for (const [pid, then] of a.byPid) if (!b.byPid.has(pid)) total -= then.seconds
  if (total > 0) byKind['exited processes'] = total
  for (const [pid, now] of b.byPid) {
    const used = now.seconds - (a.byPid.get(pid)?.seconds ?? 0)
    total += used
    byKind[now.kind] = (byKind[now.kind] ?? 0) + used
  }
  return { total, byKind }
}
