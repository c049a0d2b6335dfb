/**
 * aria2 as a desktop client under test: one `aria2c` run that downloads a
 * torrent and exits once it is complete (no seeding). It re-announces every
 * second, so a refusal and the retry after a top-up happen within the test.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { start, type Child } from './processes'

export interface Aria2Run {
  child: Child
  /** aria2's own log: tracker answers, including any `failure reason`. */
  log(): string
  /** Resolves with the exit code: 0 once the download is complete. */
  done: Promise<number | null>
}

/** `address`: the loopback address its sockets use, tracker requests included (see transmission.ts). */
export function runAria2(
  torrentFile: string,
  dir: string,
  address: string,
  listenPort: number,
): Aria2Run {
  const logFile = join(dir, 'aria2.log')
  const child = start('aria2c', [
    '--no-conf',
    `--dir=${dir}`,
    `--log=${logFile}`,
    '--log-level=info',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--seed-time=0',
    '--bt-tracker-interval=1',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    `--listen-port=${listenPort}`,
    `--interface=${address}`,
    '--file-allocation=none',
    '--allow-overwrite=true',
    torrentFile,
  ])
  return {
    child,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8')
      } catch {
        return ''
      }
    },
    done: child.exited,
  }
}
