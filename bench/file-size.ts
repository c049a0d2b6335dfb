import { statSync } from 'node:fs'

/**
 * Watches how large a file grows, sampling every `everyMs`: for the relay's
 * WAL, whose size shows how far checkpoints fell behind. SQLite deletes the
 * WAL when the relay closes, so it must be watched while the relay runs.
 */
export function watchFileSize(path: string, everyMs = 50): { stop(): number } {
  let max = 0
  const sample = (): void => {
    try {
      max = Math.max(max, statSync(path).size)
    } catch {
      // Not created yet, or already removed.
    }
  }
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return max
    },
  }
}
