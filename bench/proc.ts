/**
 * What a child process costs, read from Linux /proc: resident memory, and CPU
 * time per thread, so the report can say how busy the main thread (the
 * event loop: transport, ledger, SQLite) was next to the verify workers.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc CPU times; 100 on every mainstream Linux build. */
const CLK_TCK = 100

export interface CpuSnapshot {
  /** Seconds of CPU used by the main thread (tid = pid). */
  main: number
  /** Seconds used by every other thread: verify workers, GC helpers, libuv pool. */
  others: number
  at: number
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  let main = 0
  let others = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended between the listing and the read
    }
    // Fields after the parenthesised name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK
    if (Number(tid) === pid) main += seconds
    else others += seconds
  }
  return { main, others, at: performance.now() }
}

/** Cores used between two snapshots: main thread, and everything else. */
export function coresUsed(a: CpuSnapshot, b: CpuSnapshot): { main: number; others: number } {
  const wall = (b.at - a.at) / 1000
  return { main: (b.main - a.main) / wall, others: (b.others - a.others) / wall }
}

/** Resident set now and at its peak, in MiB. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}

/**
 * The share of time some task on the machine waited for a CPU (Linux PSI,
 * /proc/pressure/cpu, over the last 10 and 60 s). Other work on a shared
 * machine shows here even when its processes are not visible.
 */
export function cpuPressure(): string {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? ''
    const avg = (name: string): string => new RegExp(`${name}=(\\S+)`).exec(line)?.[1] ?? '?'
    return `CPU pressure ${avg('avg10')}% (10 s), ${avg('avg60')}% (60 s)`
  } catch {
    return 'CPU pressure unknown'
  }
}
