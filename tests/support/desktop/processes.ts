/**
 * Child processes of the desktop-client tests: started with their output
 * kept for the failure message, stopped by their own pid, and waited for.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

export interface Child {
  proc: ChildProcess
  /** stdout and stderr so far. */
  output(): string
  exited: Promise<number | null>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>
}

export function start(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  let out = ''
  proc.stdout?.setEncoding('utf8')
  proc.stderr?.setEncoding('utf8')
  proc.stdout?.on('data', (d: string) => (out += d))
  proc.stderr?.on('data', (d: string) => (out += d))
  const exited = new Promise<number | null>((resolve) => {
    proc.once('close', (code) => {
      resolve(code)
    })
    proc.once('error', (err) => {
      out += `\n${err.message}`
      resolve(null)
    })
  })
  return {
    proc,
    output: () => out,
    exited,
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const force = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(force)
    },
  }
}

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (last instanceof Error ? ` (last error: ${last.message})` : ''),
      )
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
